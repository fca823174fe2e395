/**
 * What the pipeline's dashboard and alarms show, as data: the CDK constructs
 * (`infra/constructs/ingest-dashboard.ts`, `ingest-alarms.ts`) build CloudWatch widgets and alarms
 * from it, and the console draws the same graphs and evaluates the same alarms from it, so the two
 * cannot drift.
 */
import { MetricName } from './metric-names.js';

/** Where a series comes from: the worker's EMF, a queue, the worker function, each table. */
export type SeriesSource = 'worker' | 'queue' | 'dlq' | 'function' | 'table';

/** One line of a graph. */
export interface SeriesSpec {
  readonly source: SeriesSource;
  /** The CloudWatch metric name (`AWS/SQS`, `AWS/Lambda`, `AWS/DynamoDB`, or the worker's namespace). */
  readonly metric: string;
  /** CloudWatch statistic: `Sum`, `Maximum`, `Average`, `p50`, `p99`. */
  readonly statistic: string;
  readonly label: string;
}

/** One graph widget: lines on the left axis and on the right. */
export interface GraphSpec {
  readonly title: string;
  readonly left: readonly SeriesSpec[];
  readonly right: readonly SeriesSpec[];
}

/** Every graph has this period. */
export const GRAPH_PERIOD_SECONDS = 60;

const perMinute = (metric: string): SeriesSpec => ({
  source: 'worker',
  metric,
  statistic: 'Sum',
  label: metric,
});

/** The dashboard's graphs, in order (the CloudWatch dashboard lays them out two a row). */
export const DASHBOARD_GRAPHS: readonly GraphSpec[] = [
  {
    title: 'Ingest rate (per minute)',
    left: [
      MetricName.ObjectsIngested,
      MetricName.DuplicatesSkipped,
      MetricName.ObjectsRejected,
      MetricName.RecordsFailed,
    ].map(perMinute),
    right: [
      MetricName.ObjectsGone,
      MetricName.ObjectsRemoved,
      MetricName.StaleEventsIgnored,
      MetricName.CopiesSkipped,
      MetricName.ForeignEventsIgnored,
    ].map(perMinute),
  },
  {
    title: 'Malware scans (per minute)',
    left: [MetricName.ScansRecorded].map(perMinute),
    right: [
      MetricName.ThreatsFound,
      MetricName.ScansHeld,
      MetricName.ScansOverdue,
      MetricName.ScanResultsUntrusted,
    ].map(perMinute),
  },
  {
    title: 'Ingest latency (ms)',
    left: [
      { source: 'worker', metric: MetricName.IngestLatency, statistic: 'p50', label: 'p50' },
      { source: 'worker', metric: MetricName.IngestLatency, statistic: 'p99', label: 'p99' },
    ],
    right: [],
  },
  {
    title: 'Ingest queue',
    left: [
      {
        source: 'queue',
        metric: 'ApproximateNumberOfMessagesVisible',
        statistic: 'Maximum',
        label: 'visible',
      },
    ],
    right: [
      {
        source: 'queue',
        metric: 'ApproximateAgeOfOldestMessage',
        statistic: 'Maximum',
        label: 'oldest age (s)',
      },
    ],
  },
  {
    title: 'DLQ depth',
    left: [
      {
        source: 'dlq',
        metric: 'ApproximateNumberOfMessagesVisible',
        statistic: 'Maximum',
        label: 'DLQ visible',
      },
    ],
    right: [],
  },
  {
    title: 'Worker',
    left: [
      { source: 'function', metric: 'Duration', statistic: 'p99', label: 'duration p99 (ms)' },
      { source: 'function', metric: 'Duration', statistic: 'Average', label: 'duration avg (ms)' },
    ],
    right: [
      { source: 'function', metric: 'Errors', statistic: 'Sum', label: 'errors' },
      { source: 'function', metric: 'Throttles', statistic: 'Sum', label: 'throttles' },
      { source: 'function', metric: 'ConcurrentExecutions', statistic: 'Maximum', label: 'concurrency' },
    ],
  },
  {
    title: 'DynamoDB writes',
    left: [{ source: 'table', metric: 'ConsumedWriteCapacityUnits', statistic: 'Sum', label: 'WCU' }],
    right: [{ source: 'table', metric: 'WriteThrottleEvents', statistic: 'Sum', label: 'throttled' }],
  },
];

/** Alarm thresholds; every alarm fires at or above its threshold. */
export interface AlarmThresholds {
  /** Age of the oldest message on the ingest queue, seconds. @default 300 */
  readonly oldestMessageAgeSeconds?: number;
  /** Worker invocation errors per 5 minutes. @default 1 */
  readonly workerErrors?: number;
  /** Worker throttles per 5 minutes. @default 1 */
  readonly workerThrottles?: number;
  /** Records returned to the queue per 5 minutes. @default 10 */
  readonly recordsFailed?: number;
  /** p99 of eventTime-to-write latency over 5 minutes, milliseconds. @default 60000 */
  readonly ingestLatencyP99Ms?: number;
  /** Throttled write events per table per 5 minutes. @default 1 */
  readonly dynamoDbThrottledWrites?: number;
}

/** One alarm: a series, its period, and the threshold it fires at or above (one period evaluated). */
export interface AlarmSpec {
  /** The construct id; per-table alarms add the table's id. */
  readonly name: string;
  readonly series: Omit<SeriesSpec, 'label'>;
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly description: string;
}

/** The stack's alarms with `thresholds` applied (a table alarm stands for one per table). */
export function alarmSpecs(thresholds: AlarmThresholds = {}): AlarmSpec[] {
  const t = thresholds;
  return [
    {
      name: 'DlqNotEmpty',
      series: { source: 'dlq', metric: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum' },
      periodSeconds: 60,
      threshold: 1,
      description:
        'Messages failed maxReceiveCount times and wait in the DLQ. Peek with `npm run redrive -- peek`.',
    },
    {
      name: 'OldestMessageAge',
      series: { source: 'queue', metric: 'ApproximateAgeOfOldestMessage', statistic: 'Maximum' },
      periodSeconds: 60,
      threshold: t.oldestMessageAgeSeconds ?? 300,
      description: 'The ingest queue is falling behind: the oldest message waits longer than the threshold.',
    },
    {
      name: 'WorkerErrors',
      series: { source: 'function', metric: 'Errors', statistic: 'Sum' },
      periodSeconds: 300,
      threshold: t.workerErrors ?? 1,
      description:
        'Worker invocations failed as a whole (crash, timeout, bad configuration); their batches are retried.',
    },
    {
      name: 'WorkerThrottles',
      series: { source: 'function', metric: 'Throttles', statistic: 'Sum' },
      periodSeconds: 300,
      threshold: t.workerThrottles ?? 1,
      description: 'Lambda throttled the worker: account concurrency is exhausted.',
    },
    {
      name: 'RecordsFailed',
      series: { source: 'worker', metric: MetricName.RecordsFailed, statistic: 'Sum' },
      periodSeconds: 300,
      threshold: t.recordsFailed ?? 10,
      description:
        'Records were returned to the queue (malformed bodies or transient AWS errors); see the worker logs.',
    },
    {
      name: 'IngestLatencyP99',
      series: { source: 'worker', metric: MetricName.IngestLatency, statistic: 'p99' },
      periodSeconds: 300,
      threshold: t.ingestLatencyP99Ms ?? 60_000,
      description: 'p99 of the time from S3 event to upload row is above the threshold.',
    },
    {
      name: 'ThrottledWrites',
      series: { source: 'table', metric: 'WriteThrottleEvents', statistic: 'Sum' },
      periodSeconds: 300,
      threshold: t.dynamoDbThrottledWrites ?? 1,
      description: 'DynamoDB throttled writes to the table; records are retried but slow down.',
    },
    {
      name: 'ThreatsFound',
      series: { source: 'worker', metric: MetricName.ThreatsFound, statistic: 'Sum' },
      periodSeconds: 300,
      threshold: 1,
      description:
        'A malware scan found a threat: the upload is REJECTED (reason malware: ...) and never copied. See RUNBOOK.md, ThreatsFound.',
    },
    {
      name: 'ScansHeld',
      series: { source: 'worker', metric: MetricName.ScansHeld, statistic: 'Sum' },
      periodSeconds: 300,
      threshold: 1,
      description:
        'A malware scan did not complete (skipped or failed): the object is held and not copied. See RUNBOOK.md, ScansHeld.',
    },
    {
      name: 'ScansOverdue',
      series: { source: 'worker', metric: MetricName.ScansOverdue, statistic: 'Sum' },
      periodSeconds: 300,
      threshold: 1,
      description:
        'An upload waited longer than SCAN_DEADLINE_SECONDS for its malware scan result: it is not copied. See RUNBOOK.md, ScansOverdue.',
    },
    {
      name: 'ScanResultsUntrusted',
      series: { source: 'worker', metric: MetricName.ScanResultsUntrusted, statistic: 'Sum' },
      periodSeconds: 300,
      threshold: 1,
      description:
        "A scan result that would let an object through contradicts GuardDuty's tag on it: not believed, nothing copied. Someone may be forging results. See RUNBOOK.md, ScanResultsUntrusted.",
    },
  ];
}
