import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  COUNT_METRICS,
  type CountMetric,
  METRICS_NAMESPACE,
  MetricName,
  SERVICE_NAME,
} from './metric-names.js';

export { type CountMetric, METRICS_NAMESPACE, MetricName, SERVICE_NAME } from './metric-names.js';

/** Fewer than the 100 values per metric at which Powertools flushes by itself. */
const MAX_VALUES_PER_DOCUMENT = 99;

/** The worker's logger. Log level from `POWERTOOLS_LOG_LEVEL` (default INFO). */
export const logger = new Logger({ serviceName: SERVICE_NAME });

/** Running totals of what the worker counted, since it started. */
export type MetricTotals = Record<CountMetric, number>;

/** Where counts and latencies are recorded. */
export interface MetricsRecorder {
  count(name: CountMetric, value?: number): void;
  latency(milliseconds: number): void;
}

/**
 * One SQS record's counts, held until it is known whether the record succeeds: only a record
 * whose message is acknowledged publishes them ({@link IngestMetrics.commit}). A message that
 * comes back (its invocation died, or another record of it failed) counts on the receive that
 * succeeds, so counts stay exact when an execution environment is killed mid-batch. A removal is
 * the exception: it is published the moment its write succeeds ({@link IngestMetrics.publishNow}).
 */
export class PendingMetrics implements MetricsRecorder {
  readonly counts = new Map<CountMetric, number>();
  readonly latencies: number[] = [];

  count(name: CountMetric, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  latency(milliseconds: number): void {
    this.latencies.push(milliseconds);
  }
}

/**
 * Collects one invocation's counts and latencies and publishes them as one EMF document.
 * Counts are summed per invocation and emitted even when zero, so alarms and dashboards see
 * continuous data rather than gaps.
 */
export class IngestMetrics implements MetricsRecorder {
  readonly #metrics: Metrics;
  #counts = new Map<CountMetric, number>();
  #latencies: number[] = [];
  readonly #totals: MetricTotals = Object.fromEntries(COUNT_METRICS.map((name) => [name, 0])) as MetricTotals;

  readonly #write: ((emfLine: string) => void) | undefined;

  /**
   * @param options.metrics - the Powertools instance to publish through @default one for {@link METRICS_NAMESPACE}
   * @param options.write - where EMF lines go @default stdout, where Lambda ships them to CloudWatch
   */
  constructor(options: { metrics?: Metrics; write?: (emfLine: string) => void } = {}) {
    this.#metrics =
      options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    this.#write = options.write;
  }

  /** Adds `value` to a count metric. */
  count(name: CountMetric, value = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + value);
    this.#totals[name] += value;
  }

  /** Records one ingest latency, in milliseconds from eventTime to the row's write. */
  latency(milliseconds: number): void {
    this.#latencies.push(milliseconds);
  }

  /** Adds a record's pending counts to this invocation's, once the record succeeded. */
  commit(pending: PendingMetrics): void {
    for (const [name, value] of pending.counts) this.count(name, value);
    for (const value of pending.latencies) this.latency(value);
  }

  /** Totals since this instance was created (the local stack shows them live). */
  totals(): Readonly<MetricTotals> {
    return { ...this.#totals };
  }

  /**
   * Writes one count as an EMF document of its own, now: in the same continuation that saw the
   * conditional write it counts succeed (a removal applied to the state row). That write succeeds
   * once per change, so a message retried because another of its records failed finds the change
   * made and counts nothing, and the count is not lost with the failed receive's.
   */
  publishNow(name: CountMetric): void {
    this.#totals[name] += 1;
    this.#metrics.addMetric(name, MetricUnit.Count, 1);
    if (!this.#write) {
      this.#metrics.publishStoredMetrics();
      return;
    }
    this.#write(JSON.stringify(this.#metrics.serializeMetrics()));
    this.#metrics.clearMetrics();
  }

  /** Writes the buffered metrics as EMF and starts a new invocation's buffer. */
  publish(): void {
    for (const name of COUNT_METRICS) {
      this.#metrics.addMetric(name, MetricUnit.Count, this.#counts.get(name) ?? 0);
    }
    const latencies = this.#latencies;
    this.#counts = new Map();
    this.#latencies = [];
    if (!this.#write) {
      // Powertools flushes by itself whenever one metric holds 100 values.
      for (const value of latencies)
        this.#metrics.addMetric(MetricName.IngestLatency, MetricUnit.Milliseconds, value);
      this.#metrics.publishStoredMetrics();
      return;
    }
    // EMF takes at most 100 values per metric and document; Powertools would flush to stdout on its own.
    let start = 0;
    do {
      for (const value of latencies.slice(start, start + MAX_VALUES_PER_DOCUMENT)) {
        this.#metrics.addMetric(MetricName.IngestLatency, MetricUnit.Milliseconds, value);
      }
      start += MAX_VALUES_PER_DOCUMENT;
      this.#write(JSON.stringify(this.#metrics.serializeMetrics()));
      this.#metrics.clearMetrics();
    } while (start < latencies.length);
  }
}
