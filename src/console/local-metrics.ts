import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SeriesSpec } from '../dashboard-definition.js';
import type { EmfDocument } from '../local/emf-totals.js';
import type { StackActivity } from '../local/stack-activity.js';
import { ingestOldestAge, queueDepth } from '../tools/dlq-operations.js';
import type { ToolTarget } from '../tools/target.js';
import { MetricStore } from './metric-store.js';
import type { MetricsSource } from './metrics-source.js';

/** How often the queues are sampled (CloudWatch's SQS metrics are per minute; a sample is cheap here). */
export const QUEUE_SAMPLE_MS = 1_000;

/**
 * The oldest message's age is read every this many samples: it comes from the emulator's
 * inspection of every message on the queue, which is costly on a deep queue under load.
 */
const AGE_EVERY_SAMPLES = 5;

const NOT_LOCAL: Partial<Record<SeriesSpec['source'], string>> = {
  table: 'DynamoDB capacity metrics exist on AWS only (the local DynamoDB has no capacity)',
};
const NOT_LOCAL_METRICS: Record<string, string> = {
  Throttles: 'the local runtime never throttles (it queues for a free execution environment)',
};

/** Adds one EMF document's metrics to the store, at its own timestamp. */
export function recordEmf(store: MetricStore, document: EmfDocument): void {
  const at = typeof document._aws?.Timestamp === 'number' ? document._aws.Timestamp : Date.now();
  const directives = (document._aws?.CloudWatchMetrics ?? []) as { Metrics?: { Name?: string }[] }[];
  for (const directive of directives) {
    for (const { Name } of directive.Metrics ?? []) {
      if (!Name) continue;
      const value = document[Name];
      for (const v of Array.isArray(value) ? value : [value])
        if (typeof v === 'number') store.record('worker', Name, v, at);
    }
  }
}

/**
 * The local stack's metrics, as CloudWatch would have them: the worker's EMF, each invocation's
 * duration, error and concurrency, and the queues' depths sampled every second (the oldest age every
 * fifth second).
 */
export class LocalMetrics implements MetricsSource {
  readonly store = new MetricStore();
  readonly #stops: (() => void)[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(activity: StackActivity, sqs: SQSClient, target: ToolTarget, sqsEndpoint: string) {
    this.#stops.push(activity.emf.on((document) => recordEmf(this.store, document)));
    this.#stops.push(
      activity.invocations.on((invocation) => {
        const at = Date.now();
        this.store.record('function', 'Duration', invocation.durationMs, at);
        this.store.record('function', 'Errors', invocation.failed ? 1 : 0, at);
        this.store.record('function', 'Invocations', 1, at);
        this.store.record('function', 'ConcurrentExecutions', invocation.concurrent, at);
      }),
    );
    let samples = 0;
    const sample = async () => {
      const withAge = samples % AGE_EVERY_SAMPLES === 0;
      samples += 1;
      const at = Date.now();
      const [ingest, dlq, age] = await Promise.all([
        queueDepth(sqs, target.ingestQueueUrl),
        queueDepth(sqs, target.dlqUrl),
        withAge ? ingestOldestAge(target, sqsEndpoint).catch(() => undefined) : undefined,
      ]);
      this.store.record('queue', 'ApproximateNumberOfMessagesVisible', ingest.visible, at);
      this.store.record('queue', 'ApproximateNumberOfMessagesNotVisible', ingest.inFlight, at);
      if (age !== undefined) this.store.record('queue', 'ApproximateAgeOfOldestMessage', age, at);
      this.store.record('dlq', 'ApproximateNumberOfMessagesVisible', dlq.visible, at);
    };
    this.#timer = setInterval(() => void sample().catch(() => undefined), QUEUE_SAMPLE_MS);
    this.#timer.unref();
    void sample().catch(() => undefined);
  }

  async datapoints(series: readonly SeriesSpec[], from: number, to: number, periodSeconds: number) {
    return series.map((spec) => {
      const missing =
        NOT_LOCAL[spec.source] ?? (spec.source === 'function' && NOT_LOCAL_METRICS[spec.metric]);
      if (missing) return missing;
      return this.store.datapoints(spec.source, spec.metric, spec.statistic, from, to, periodSeconds * 1000);
    });
  }

  async statistic(series: Omit<SeriesSpec, 'label'>, from: number, to: number) {
    return this.store.statistic(series.source, series.metric, series.statistic, from, to);
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const stop of this.#stops) stop();
  }
}
