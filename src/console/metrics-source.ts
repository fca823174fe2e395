import {
  type AlarmSpec,
  alarmSpecs,
  DASHBOARD_GRAPHS,
  GRAPH_PERIOD_SECONDS,
  type SeriesSpec,
} from '../dashboard-definition.js';
import { COUNT_METRICS } from '../metric-names.js';
import { type EvaluatedAlarm, evaluateAlarm } from './alarm-state.js';

/** One line of a graph, ready to draw. */
export interface DrawnSeries {
  readonly label: string;
  readonly axis: 'left' | 'right';
  /** Period starts, ms. */
  readonly timestamps: number[];
  readonly values: (number | null)[];
}

/** One graph of the dashboard; `unavailable` says why a line has no source here. */
export interface DrawnGraph {
  readonly title: string;
  readonly series: DrawnSeries[];
  readonly unavailable: string[];
}

/** What the dashboard page shows. */
export interface DashboardData {
  readonly from: number;
  readonly to: number;
  readonly periodSeconds: number;
  readonly graphs: DrawnGraph[];
  readonly alarms: EvaluatedAlarm[];
  /** The worker's count metrics summed over the range (the EMF totals, for the whole range). */
  readonly totals: Record<string, number>;
}

/** Where the console's numbers come from: the local stack's own, or CloudWatch. */
export interface MetricsSource {
  /**
   * The datapoints of some series over [from, to), one per period; a series this source cannot
   * measure comes back as a reason (string) instead.
   */
  datapoints(
    series: readonly SeriesSpec[],
    from: number,
    to: number,
    periodSeconds: number,
  ): Promise<({ timestamps: number[]; values: (number | null)[] } | string)[]>;
  /** The statistic of a series over [from, to); undefined for no data. */
  statistic(series: Omit<SeriesSpec, 'label'>, from: number, to: number): Promise<number | undefined>;
  /** The alarms' states as the stack's own alarms have them (a deployed stack); else they are evaluated here. */
  alarmStates?(specs: readonly AlarmSpec[]): Promise<EvaluatedAlarm[]>;
}

/** How the dashboard and alarms are read. */
export interface DashboardOptions {
  readonly thresholds?: Parameters<typeof alarmSpecs>[0];
  /**
   * Alarm periods are multiplied by this (tests shorten a 1-minute period to seconds); the stack's
   * alarms are evaluated with 1. @default 1
   */
  readonly alarmPeriodScale?: number;
}

/** Reads every graph of the shared definition, the alarms with the stack's thresholds, and totals. */
export async function readDashboard(
  source: MetricsSource,
  range: { from: number; to: number },
  options: DashboardOptions = {},
): Promise<DashboardData> {
  const graphs = await Promise.all(
    DASHBOARD_GRAPHS.map(async (graph): Promise<DrawnGraph> => {
      const all = [
        ...graph.left.map((s) => ({ spec: s, axis: 'left' as const })),
        ...graph.right.map((s) => ({ spec: s, axis: 'right' as const })),
      ];
      const answers = await source.datapoints(
        all.map((line) => line.spec),
        range.from,
        range.to,
        GRAPH_PERIOD_SECONDS,
      );
      const series: DrawnSeries[] = [];
      const unavailable: string[] = [];
      answers.forEach((answer, index) => {
        const line = all[index];
        if (!line) return;
        if (typeof answer === 'string') unavailable.push(`${line.spec.label}: ${answer}`);
        else series.push({ label: line.spec.label, axis: line.axis, ...answer });
      });
      return { title: graph.title, series, unavailable };
    }),
  );
  const now = range.to;
  const scale = options.alarmPeriodScale ?? 1;
  const specs = alarmSpecs(options.thresholds);
  const alarms = source.alarmStates
    ? await source.alarmStates(specs)
    : await Promise.all(
        specs.map(async (spec: AlarmSpec) => {
          const value = await source.statistic(spec.series, now - spec.periodSeconds * 1000 * scale, now);
          return evaluateAlarm(spec, value);
        }),
      );
  const totals: Record<string, number> = {};
  await Promise.all(
    COUNT_METRICS.map(async (metric) => {
      totals[metric] =
        (await source.statistic({ source: 'worker', metric, statistic: 'Sum' }, range.from, range.to)) ?? 0;
    }),
  );
  return { from: range.from, to: range.to, periodSeconds: GRAPH_PERIOD_SECONDS, graphs, alarms, totals };
}
