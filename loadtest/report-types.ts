import type { DynamoDbBackend } from '../src/local/dynamodb-server.js';
import type { RuntimeMode } from '../src/local/stack.js';
import type { ChaosOptions, ChaosReport } from './chaos.js';
import type { CostEstimate, DEFAULT_COST_ASSUMPTIONS } from './cost.js';
import type { EventsCheck } from './event-feed.js';
import type { Bucket, Percentiles } from './stats.js';
import type { TargetKind } from './targets.js';
import type { MalwareVerification, UploadedVersion } from './verify.js';

/** Options of one run; the command line fills them (`options.ts`). */
export interface LoadTestOptions {
  readonly objects: number;
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly poisonRate: number;
  /** Share of the objects uploaded as the EICAR test file. @default 0 */
  readonly malwareRate?: number;
  readonly sizeBytes: number;
  /** Uploads in flight at once. */
  readonly concurrency: number;
  /** Uploads per second; unlimited when absent. */
  readonly rate?: number;
  readonly target: TargetKind;
  readonly stackName?: string;
  readonly region?: string;
  readonly stackFile?: string;
  readonly baseline: boolean;
  /** Embedded DynamoDB backend. */
  readonly dynamodb: DynamoDbBackend;
  /** Embedded worker: records per batch and concurrent invocations. */
  readonly batchSize: number;
  readonly workerConcurrency: number;
  /** Embedded ingest queue's visibility timeout, seconds. */
  readonly visibilityTimeoutSeconds: number;
  /** Bound on each wait for the pipeline to drain. */
  readonly drainTimeoutMs: number;
  readonly seed: number;
  /** PutItem calls of the raw DynamoDB measurement; 0 skips it. */
  readonly calibrationPuts: number;
  /** Embedded worker: the bundle in execution environments, or the source in this process. */
  readonly runtime: RuntimeMode;
  /** Embedded bundle runtime: the Node.js of its environments (`current`, `22`, a path). */
  readonly node?: string;
  /** Embedded: faults injected while the workload runs. */
  readonly chaos: ChaosOptions;
  /** Embedded: also run the workload through the other worker runtime and compare throughput. */
  readonly compareRuntime?: boolean;
}

/** What the progress display shows. */
export interface Progress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly detail?: string;
}

/** One pass of a workload through a pipeline. */
export interface Pass {
  readonly startedMs: number;
  readonly drainedMs: number;
  readonly uploaded: Map<string, UploadedVersion[]>;
}

/** The report; the JSON file holds exactly this. */
export interface LoadTestReport {
  readonly runId: string;
  readonly target: string;
  readonly options: LoadTestOptions;
  readonly objects: number;
  readonly uploads: number;
  readonly notifications: number;
  readonly duplicatesInjected: number;
  readonly lateInjected: number;
  readonly poisonInjected: number;
  readonly rowsVerified: number;
  readonly missing: number;
  readonly duplicateRows: number;
  readonly wrongState: number;
  readonly dlqMessages: number;
  readonly dlqPoison: number;
  /** Messages of this run in the DLQ that are not poison: each one an object the pipeline gave up on. */
  readonly goodMessagesInDlq: number;
  /** How the embedded worker ran (null on the other targets). */
  readonly runtime: {
    readonly mode: RuntimeMode;
    readonly node: string;
    /** Execution environments created (cold starts); 0 for the source runtime. */
    readonly environments: number;
    readonly coldStartMs: { readonly p50: number; readonly max: number } | null;
  } | null;
  /** The faults injected (embedded, when asked for). */
  readonly chaos?: ChaosReport;
  /** The same workload through the other runtime, without chaos (`--compare-runtime`). */
  readonly runtimeComparison?: {
    readonly mode: RuntimeMode;
    readonly throughputPerSec: number;
    readonly ingestSeconds: number;
    /** Objects whose newest content the other runtime recorded (all of them, when it is correct). */
    readonly objectsRecorded: number;
    /** This run's throughput over the other runtime's. */
    readonly ratio: number;
  };
  readonly problems: readonly string[];
  readonly metricsMatch: boolean | null;
  /** The malware-scan gate against the infected and clean objects (`--malware-rate`); null without. */
  readonly malware: (MalwareVerification & { readonly scanLatencyMs: Percentiles }) | null;
  /** The upload events a subscriber received, against the verified rows; null where the stack has none. */
  readonly events: EventsCheck | null;
  readonly metrics?: { readonly emitted: Record<string, number>; readonly expected: Record<string, number> };
  /** First upload to the pipeline drained, including the imposed waits (poison, late events). */
  readonly durationSeconds: number;
  /** First upload to the last object's newest upload row: what throughput is measured over. */
  readonly ingestSeconds: number;
  readonly throughputPerSec: number;
  readonly latencyMs: Percentiles;
  /** `Service.Operation` → calls per uploaded object, over the whole run; null where not counted. */
  readonly callsPerObject: Record<string, number> | null;
  readonly dynamodbWritesPerObject: number | null;
  readonly dynamodbWritesPerNewObject: number | null;
  readonly dynamodbWritesPerDuplicate: number | null;
  readonly costPerMillionUsd: number | null;
  readonly cost?: CostEstimate & { readonly assumptions: typeof DEFAULT_COST_ASSUMPTIONS };
  readonly calibratedPutsPerSec: number | null;
  readonly calibrationConcurrency: number | null;
  readonly boundRatio: number | null;
  /**
   * Busy fraction of this process's event loop, which runs the whole stack on the embedded target:
   * while ingesting (first upload to the last object's row) and during the raw DynamoDB measurement.
   * Null on the other targets, whose stack runs elsewhere.
   */
  readonly eventLoopBusy: { readonly ingest: number; readonly calibration: number | null } | null;
  /** What held the throughput down, in a sentence (see `limitingFactor`). */
  readonly limit: string;
  /**
   * The naive recipe on the same workload, measured the same way: objects over the seconds from
   * the first upload to the moment the last object's newest content was first recorded.
   */
  readonly baseline?: {
    readonly throughputPerSec: number;
    readonly ingestSeconds: number;
    readonly duplicateRows: number;
    readonly rows: number;
    /** Rows written per second since the first upload (duplicates included). */
    readonly throughputSeries: readonly number[];
    readonly latencyMs?: Percentiles;
  };
  readonly throughputSeries: readonly number[];
  readonly latencyHistogram: readonly Bucket[];
}
