import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmSpec, SeriesSpec } from '../dashboard-definition.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../metric-names.js';
import type { ToolTarget } from '../tools/target.js';
import type { EvaluatedAlarm } from './alarm-state.js';
import type { MetricsSource } from './metrics-source.js';

const queueName = (url: string) => url.split('/').pop() ?? '';

/** The CloudWatch metrics (namespace and dimensions) a series of the definition means for a deployed stack. */
export function cloudWatchMetrics(
  series: Omit<SeriesSpec, 'label'>,
  target: ToolTarget,
): { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }[] {
  const metric = (Namespace: string, Name: string, Value: string) => ({
    Namespace,
    MetricName: series.metric,
    Dimensions: [{ Name, Value }],
  });
  switch (series.source) {
    case 'worker':
      return [metric(METRICS_NAMESPACE, 'service', SERVICE_NAME)];
    case 'queue':
      return [metric('AWS/SQS', 'QueueName', queueName(target.ingestQueueUrl))];
    case 'dlq':
      return [metric('AWS/SQS', 'QueueName', queueName(target.dlqUrl))];
    case 'function':
      return target.workerFunction ? [metric('AWS/Lambda', 'FunctionName', target.workerFunction)] : [];
    case 'table':
      return [target.uploadLogTable, target.idempotencyTable].map((table) =>
        metric('AWS/DynamoDB', 'TableName', table),
      );
  }
}

/**
 * A deployed stack's metrics from CloudWatch `GetMetricData` (the caller's credentials; read
 * only). A series over several tables is their sum.
 */
export class CloudWatchMetrics implements MetricsSource {
  constructor(
    private readonly cloudWatch: CloudWatchClient,
    private readonly target: ToolTarget,
  ) {}

  async datapoints(series: readonly SeriesSpec[], from: number, to: number, periodSeconds: number) {
    const queries: MetricDataQuery[] = [];
    const owners: number[] = [];
    series.forEach((spec, index) => {
      for (const metric of cloudWatchMetrics(spec, this.target)) {
        owners.push(index);
        queries.push({
          Id: `m${queries.length}`,
          MetricStat: { Metric: metric, Period: periodSeconds, Stat: spec.statistic },
          ReturnData: true,
        });
      }
    });
    const byQuery = await this.#fetch(queries, from, to);
    const periodMs = periodSeconds * 1000;
    const first = Math.floor(from / periodMs) * periodMs;
    const timestamps: number[] = [];
    for (let at = first; at < to; at += periodMs) timestamps.push(at);
    return series.map((_, index) => {
      const mine = queries.filter((_, q) => owners[q] === index);
      if (mine.length === 0) return 'the stack has no worker function output';
      const values = timestamps.map((at) => {
        const found = mine
          .map((query) => byQuery.get(query.Id ?? '')?.get(at))
          .filter((v): v is number => v !== undefined);
        return found.length === 0 ? null : found.reduce((sum, v) => sum + v, 0);
      });
      return { timestamps, values };
    });
  }

  async statistic(series: Omit<SeriesSpec, 'label'>, from: number, to: number) {
    const periodSeconds = Math.max(60, Math.round((to - from) / 60_000) * 60);
    const queries = cloudWatchMetrics(series, this.target).map(
      (metric, index): MetricDataQuery => ({
        Id: `s${index}`,
        MetricStat: { Metric: metric, Period: periodSeconds, Stat: series.statistic },
        ReturnData: true,
      }),
    );
    const byQuery = await this.#fetch(queries, from, to);
    const values = [...byQuery.values()].flatMap((points) => [...points.values()]);
    return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0);
  }

  /**
   * The stack's alarms as CloudWatch has them (state and threshold): their names start with the
   * stack's name and hold the alarm's id (`ThrottledWrites` has one per table: any in ALARM counts).
   */
  async alarmStates(specs: readonly AlarmSpec[]): Promise<EvaluatedAlarm[]> {
    const found: MetricAlarm[] = [];
    let token: string | undefined;
    do {
      const answer = await this.cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: `${this.target.label}-`,
          AlarmTypes: ['MetricAlarm'],
          ...(token && { NextToken: token }),
        }),
      );
      found.push(...(answer.MetricAlarms ?? []));
      token = answer.NextToken;
    } while (token);
    return specs.map((spec) => {
      const mine = found.filter((alarm) => (alarm.AlarmName ?? '').includes(spec.name));
      const firing = mine.find((alarm) => alarm.StateValue === 'ALARM');
      return {
        name: spec.name,
        state: firing ? 'ALARM' : 'OK',
        threshold: mine[0]?.Threshold ?? spec.threshold,
        periodSeconds: mine[0]?.Period ?? spec.periodSeconds,
        description:
          mine.length === 0 ? `${spec.description} (no such alarm found in CloudWatch)` : spec.description,
      };
    });
  }

  /** Every query's datapoints by timestamp (ms), following NextToken. */
  async #fetch(
    queries: MetricDataQuery[],
    from: number,
    to: number,
  ): Promise<Map<string, Map<number, number>>> {
    const result = new Map<string, Map<number, number>>();
    // GetMetricData takes at most 500 queries a call; the dashboard has fewer than 30.
    let token: string | undefined;
    if (queries.length === 0) return result;
    do {
      const answer = await this.cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(from),
          EndTime: new Date(to),
          ...(token && { NextToken: token }),
        }),
      );
      for (const series of answer.MetricDataResults ?? []) {
        const points = result.get(series.Id ?? '') ?? new Map<number, number>();
        (series.Timestamps ?? []).forEach((at, i) => {
          const value = series.Values?.[i];
          if (value !== undefined) points.set(at.getTime(), value);
        });
        result.set(series.Id ?? '', points);
      }
      token = answer.NextToken;
    } while (token);
    return result;
  }
}
