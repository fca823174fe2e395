import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbBackend } from '../src/local/dynamodb-server.js';
import { buildS3Notification } from '../src/local/notification.js';
import { waitFor } from '../src/local/wait.js';
import { BACKFILL_SEQUENCER } from '../src/tools/backfill.js';
import { peekMessages, queueDepth } from '../src/tools/dlq-operations.js';
import { UploadQueries } from '../src/tools/upload-queries.js';
import { difference, dynamoDbWrites } from './aws-call-counter.js';
import { measureConditionalPutRate } from './calibrate.js';
import { type CostEstimate, costPerMillion, DEFAULT_COST_ASSUMPTIONS } from './cost.js';
import { EventLoopSampler, meanOfFirst } from './event-loop.js';
import { FaultInjector } from './fault-injector.js';
import { limitingFactor } from './limit.js';
import { NAIVE_SK, naiveHandler } from './naive-handler.js';
import { type Bucket, histogram, type Percentiles, percentiles, perSecond } from './stats.js';
import {
  embeddedTarget,
  type LoadTarget,
  maxReceiveCountOf,
  remoteTarget,
  type TargetKind,
} from './targets.js';
import {
  checkMetrics,
  classifyDlq,
  emptyVerification,
  type UploadedVersion,
  verifyObject,
} from './verify.js';
import { objectBody, type PlannedObject, planWorkload, poisonBody, type Workload } from './workload.js';

export interface LoadTestOptions {
  readonly objects: number;
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly poisonRate: number;
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
}

/** What the progress display shows. */
export interface Progress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly detail?: string;
}

/** One pass of a workload through a pipeline. */
interface Pass {
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
  readonly problems: readonly string[];
  readonly metricsMatch: boolean | null;
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

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Runs the load test: uploads, injected faults, a bounded wait for the pipeline to drain, the
 * row-by-row verification, the cost and capacity measurements and, if asked, the naive baseline.
 */
export async function runLoadTest(
  options: LoadTestOptions,
  onProgress: (progress: Progress) => void = () => undefined,
): Promise<LoadTestReport> {
  if (options.baseline && options.target !== 'embedded') {
    throw new Error('--baseline runs the naive handler on the embedded stack: use it with --target embedded');
  }
  const runId = `lt${Date.now().toString(36)}`;
  const workload = planWorkload({ ...options, keyPrefix: `loadtest/${runId}/`, seed: options.seed });
  const injector = new FaultInjector(workload);
  const target =
    options.target === 'embedded'
      ? await embeddedTarget(injector, options)
      : await remoteTarget({
          target: options.target,
          ...(options.stackName && { stackName: options.stackName }),
          ...(options.region && { region: options.region }),
          ...(options.stackFile && { stackFile: options.stackFile }),
        });
  try {
    const maxReceiveCount = await maxReceiveCountOf(target.sqs, target.ingestQueueUrl);
    const dlqBefore = (await queueDepth(target.sqs, target.dlqUrl)).visible;
    const callsBefore = target.calls?.snapshot() ?? {};
    const sampler = new EventLoopSampler();
    sampler.start();
    const pass = await drive(target, injector, workload, runId, options, onProgress);
    const busySeries = sampler.stop();
    const callsDuring = target.calls ? difference(target.calls.snapshot(), callsBefore) : undefined;

    // Verify every object, row by row.
    const verification = emptyVerification();
    const queries = new UploadQueries(target.dynamodb, target.uploadLogTable);
    const latencies: number[] = [];
    const processedAt: number[] = [];
    const lateFirstETags = new Set<string>();
    const newestProcessedAt: number[] = [];
    await forEachLimited(workload.objects, 16, async (object, done) => {
      const versions = pass.uploaded.get(object.key) ?? [];
      if (target.tapped && object.versions === 2 && versions[0]) lateFirstETags.add(versions[0].eTag);
      const rows = await queries.byObject(target.bucket, object.key);
      verifyObject({ key: object.key, versions }, rows, verification);
      const newestETag = versions.at(-1)?.eTag;
      for (const row of rows.uploads) {
        processedAt.push(Date.parse(String(row.processedAt)));
        if (row.eTag === newestETag) newestProcessedAt.push(Date.parse(String(row.processedAt)));
        // A held-back notification's delay is the fault injected, not the pipeline's latency.
        if (!lateFirstETags.has(String(row.eTag))) latencies.push(Number(row.ingestLatencyMs));
      }
      if (done % 200 === 0) onProgress({ phase: 'verify', done, total: workload.objects.length });
    });
    onProgress({ phase: 'verify', done: workload.objects.length, total: workload.objects.length });

    const dlq = await peekMessages(target.sqs, target.dlqUrl, dlqBefore + workload.poisonInjected + 100);
    const dlqCounts = classifyDlq(
      dlq.map((m) => m.body),
      runId,
    );

    const uploads = workload.objects.length + workload.lateInjected;
    const emitted = await target.emfTotals();
    // Embedded: duplicates are exact copies and the late events real ones, processed after the
    // object was overwritten (so GONE, and stale for the state row). Elsewhere the injected
    // deliveries are re-built with the lowest sequencer: each is a duplicate, S3's own notification
    // of an overwritten version may or may not find it, and its state order is not known.
    const expected: Record<string, number> = target.tapped
      ? {
          ObjectsIngested: workload.objects.length,
          ObjectsGone: workload.lateInjected,
          DuplicatesSkipped: workload.duplicatesInjected,
          StaleEventsIgnored: workload.lateInjected,
          ObjectsRejected: 0,
          TestEventsSkipped: 0,
        }
      : {
          'ObjectsIngested+ObjectsGone': uploads,
          DuplicatesSkipped: workload.duplicatesInjected + workload.lateInjected,
          ObjectsRejected: 0,
        };
    const metrics = emitted && checkMetrics(emitted, expected, workload.poisonInjected * maxReceiveCount);

    // Throughput runs to the last object's newest row. The rest of the drain is the wait that the
    // test itself imposes: poison messages need maxReceiveCount visibility timeouts to reach the DLQ,
    // and late events are held until everything else was processed.
    const durationSeconds = (pass.drainedMs - pass.startedMs) / 1000;
    const ingestSeconds = (Math.max(...newestProcessedAt, pass.startedMs + 1) - pass.startedMs) / 1000;
    const throughputPerSec = round(workload.objects.length / ingestSeconds);

    // Calls per uploaded object, with S3's own SendMessage per notification.
    let callsPerObject: Record<string, number> | null = null;
    let writesPerObject: number | null = null;
    if (callsDuring) {
      const all = { ...callsDuring, 'SQS.SendMessage (S3 notifications)': injector.notificationsSent };
      callsPerObject = Object.fromEntries(
        Object.entries(all).map(([name, count]) => [name, round(count / uploads, 3)]),
      );
      writesPerObject = round(dynamoDbWrites(callsDuring) / uploads, 3);
    }
    const perWrite = target.calls
      ? await measureWritesPerEvent(target, injector, runId, options, onProgress)
      : undefined;
    const cost = callsPerObject
      ? costPerMillion(callsPerObject, 1, { ...DEFAULT_COST_ASSUMPTIONS, batchSize: options.batchSize })
      : undefined;

    let calibratedPutsPerSec: number | null = null;
    let calibrationBusy: number | null = null;
    const calibrationConcurrency = target.recordsInFlight ?? options.concurrency;
    if (target.kind !== 'aws' && options.calibrationPuts > 0) {
      onProgress({ phase: 'calibrate DynamoDB', done: 0, total: options.calibrationPuts });
      const calibration = await measureConditionalPutRate(target.dynamodb, {
        concurrency: calibrationConcurrency,
        puts: options.calibrationPuts,
        runId,
      });
      calibratedPutsPerSec = round(calibration.putsPerSec, 1);
      calibrationBusy = round(calibration.eventLoopBusy, 3);
    }
    const boundRatio =
      calibratedPutsPerSec && writesPerObject
        ? round(throughputPerSec / (calibratedPutsPerSec / writesPerObject), 3)
        : null;
    const eventLoopBusy =
      target.kind === 'embedded'
        ? {
            ingest: round(meanOfFirst(busySeries, ingestSeconds), 3),
            calibration: calibrationBusy,
          }
        : null;

    const baseline = options.baseline ? await runBaseline(workload, runId, options, onProgress) : undefined;

    return {
      runId,
      target: target.label,
      options,
      objects: workload.objects.length,
      uploads,
      notifications: injector.notificationsSent,
      duplicatesInjected: workload.duplicatesInjected,
      lateInjected: workload.lateInjected,
      poisonInjected: workload.poisonInjected,
      ...verification,
      dlqMessages: dlq.length - dlqBefore,
      dlqPoison: dlqCounts.poison,
      metricsMatch: metrics ? metrics.match : null,
      ...(metrics && { metrics: { emitted: { ...metrics.emitted }, expected: { ...metrics.expected } } }),
      durationSeconds: round(durationSeconds),
      ingestSeconds: round(ingestSeconds),
      throughputPerSec,
      latencyMs: percentiles(latencies),
      callsPerObject,
      dynamodbWritesPerObject: writesPerObject,
      dynamodbWritesPerNewObject: perWrite?.perNew ?? null,
      dynamodbWritesPerDuplicate: perWrite?.perDuplicate ?? null,
      costPerMillionUsd: cost ? cost.total : null,
      ...(cost && {
        cost: { ...cost, assumptions: { ...DEFAULT_COST_ASSUMPTIONS, batchSize: options.batchSize } },
      }),
      calibratedPutsPerSec,
      calibrationConcurrency: calibratedPutsPerSec === null ? null : calibrationConcurrency,
      boundRatio,
      eventLoopBusy,
      limit: limitingFactor({
        throughputPerSec,
        ...(options.rate !== undefined && { rate: options.rate }),
        eventLoopBusy: eventLoopBusy?.ingest ?? null,
        boundRatio,
      }),
      ...(baseline && { baseline }),
      throughputSeries: perSecond(processedAt, pass.startedMs),
      latencyHistogram: histogram(latencies),
    };
  } finally {
    await target.close();
  }
}

/** Uploads the workload, injects its faults and waits for the pipeline to drain. */
async function drive(
  target: LoadTarget,
  injector: FaultInjector,
  workload: Workload,
  runId: string,
  options: Pick<LoadTestOptions, 'sizeBytes' | 'concurrency' | 'rate' | 'drainTimeoutMs'>,
  onProgress: (progress: Progress) => void,
): Promise<Pass> {
  const uploaded = new Map<string, UploadedVersion[]>();
  const send = async (body: string) => {
    await target.sqs.send(new SendMessageCommand({ QueueUrl: target.ingestQueueUrl, MessageBody: body }));
  };
  const poisonAfter = new Map<number, number>();
  for (const index of workload.poisonAfter) poisonAfter.set(index, (poisonAfter.get(index) ?? 0) + 1);
  let poisonSent = 0;
  const startedMs = Date.now();
  const total = workload.objects.length;
  await forEachLimited(workload.objects, options.concurrency, async (object, done) => {
    if (options.rate) {
      const due = startedMs + (object.index * 1000) / options.rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    }
    for (let version = 1; version <= object.versions; version += 1) {
      const uploadedVersion = await upload(target, object, version, runId, options.sizeBytes);
      uploaded.set(object.key, [...(uploaded.get(object.key) ?? []), uploadedVersion]);
      if (!target.tapped) {
        await injector.afterUpload(
          object,
          version,
          rebuiltNotification(target, object, uploadedVersion),
          send,
        );
      }
    }
    for (let i = 0; i < (poisonAfter.get(object.index) ?? 0); i += 1)
      await send(poisonBody(runId, poisonSent++));
    if (done % 50 === 0) onProgress({ phase: 'upload', done, total });
  });
  onProgress({ phase: 'upload', done: total, total });
  await target.settle();
  await injector.flushDelayed();
  await drained(target, options.drainTimeoutMs, onProgress);
  await injector.releaseLate();
  await drained(target, options.drainTimeoutMs, onProgress);
  return { startedMs, drainedMs: Date.now(), uploaded };
}

async function upload(
  target: LoadTarget,
  object: PlannedObject,
  version: number,
  runId: string,
  sizeBytes: number,
): Promise<UploadedVersion & { versionId?: string }> {
  const body = objectBody(runId, object.index, version, sizeBytes);
  const response = await target.s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: object.key,
      Body: body,
      ContentType: 'application/octet-stream',
    }),
  );
  return {
    eTag: (response.ETag ?? '').replace(/"/g, ''),
    size: body.length,
    ...(response.VersionId && response.VersionId !== 'null' && { versionId: response.VersionId }),
  };
}

/** A notification as S3 would send it for an upload, with the lowest sequencer (see backfill). */
function rebuiltNotification(
  target: LoadTarget,
  object: PlannedObject,
  version: UploadedVersion & { versionId?: string },
): string {
  return JSON.stringify(
    buildS3Notification({
      eventName: 'ObjectCreated:Put',
      bucket: target.bucket,
      key: object.key,
      eTag: version.eTag,
      size: version.size,
      ...(version.versionId && { versionId: version.versionId }),
      eventTime: new Date(),
      sequencer: BACKFILL_SEQUENCER,
      principalId: 's3-ingest-loadtest',
      sourceIp: '127.0.0.1',
      requestId: 'LOADTEST',
      region: target.region,
    }),
  );
}

/**
 * Waits until the ingest queue has held no message, visible or in flight, for several checks in a
 * row (a deployed stack's S3 delivers notifications a moment after the upload).
 */
async function drained(
  target: LoadTarget,
  timeoutMs: number,
  onProgress: (progress: Progress) => void,
): Promise<void> {
  const needed = target.tapped ? 2 : 5;
  const intervalMs = target.tapped ? 100 : 1000;
  let quiet = 0;
  await waitFor(
    'the ingest queue to drain',
    async () => {
      const ingest = await queueDepth(target.sqs, target.ingestQueueUrl);
      const depth = ingest.visible + ingest.inFlight;
      onProgress({ phase: 'drain', done: 0, total: 0, detail: `${depth} messages on the ingest queue` });
      quiet = depth === 0 ? quiet + 1 : 0;
      return quiet >= needed;
    },
    { timeoutMs, intervalMs },
  );
}

/**
 * DynamoDB writes of one new object and of one duplicate, measured apart from the main run: fresh
 * objects without faults, then one exact duplicate of each.
 */
async function measureWritesPerEvent(
  target: LoadTarget,
  injector: FaultInjector,
  runId: string,
  options: LoadTestOptions,
  onProgress: (progress: Progress) => void,
): Promise<{ perNew: number; perDuplicate: number } | undefined> {
  const count = Math.min(50, Math.max(options.objects, 1));
  const fresh = planWorkload({
    objects: count,
    duplicateRate: 0,
    lateRate: 0,
    poisonRate: 0,
    keyPrefix: `loadtest/${runId}/writes/`,
    seed: options.seed,
  });
  onProgress({ phase: 'measure writes', done: 0, total: count * 2 });
  const calls = target.calls;
  if (!calls) return undefined;
  const before = calls.snapshot();
  const pass = await drive(target, injector, fresh, runId, { ...options, rate: undefined }, () => undefined);
  const afterNew = calls.snapshot();
  for (const object of fresh.objects) {
    const body = injector.lastBody.get(object.key);
    if (body)
      await target.sqs.send(new SendMessageCommand({ QueueUrl: target.ingestQueueUrl, MessageBody: body }));
  }
  await drained(target, options.drainTimeoutMs, () => undefined);
  const afterDuplicates = calls.snapshot();
  const uploaded = [...pass.uploaded.values()].flat().length;
  return {
    perNew: round(dynamoDbWrites(difference(afterNew, before)) / uploaded, 3),
    perDuplicate: round(dynamoDbWrites(difference(afterDuplicates, afterNew)) / count, 3),
  };
}

/** The same workload through the naive one-put-per-event handler, on its own fresh embedded stack. */
async function runBaseline(
  workload: Workload,
  runId: string,
  options: LoadTestOptions,
  onProgress: (progress: Progress) => void,
): Promise<NonNullable<LoadTestReport['baseline']>> {
  const injector = new FaultInjector(workload);
  const target = await embeddedTarget(injector, {
    ...options,
    handler: (clients, config) => naiveHandler(clients.dynamodb, config.uploadLogTable),
  });
  try {
    const pass = await drive(target, injector, workload, runId, options, (p) =>
      onProgress({ ...p, phase: `baseline ${p.phase}` }),
    );
    const documents = DynamoDBDocumentClient.from(target.dynamodb);
    const versions = new Map<string, number>();
    // Measured as the main run is: to the moment each object's newest content was first recorded.
    // A later row for the same content (a delayed duplicate the naive handler writes again) is the
    // baseline's flaw, not its throughput.
    const firstNewestRow = new Map<string, number>();
    const latencies: number[] = [];
    const firstRows: number[] = [];
    let rows = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({ TableName: target.uploadLogTable, ...(start && { ExclusiveStartKey: start }) }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk !== NAIVE_SK) continue;
        rows += 1;
        const key = String(item.key);
        const at = Date.parse(String(item.processedAt));
        if (pass.uploaded.get(key)?.at(-1)?.eTag === item.eTag) {
          firstNewestRow.set(key, Math.min(firstNewestRow.get(key) ?? Number.POSITIVE_INFINITY, at));
        }
        const version = `${key}#${item.eTag}`;
        const count = (versions.get(version) ?? 0) + 1;
        versions.set(version, count);
        firstRows.push(at);
        if (typeof item.ingestLatencyMs === 'number') latencies.push(item.ingestLatencyMs);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    const duplicateRows = [...versions.values()].reduce((sum, n) => sum + n - 1, 0);
    const lastRowMs = Math.max(pass.startedMs + 1, ...firstNewestRow.values());
    const ingestSeconds = round((lastRowMs - pass.startedMs) / 1000);
    return {
      throughputPerSec: round(workload.objects.length / ((lastRowMs - pass.startedMs) / 1000)),
      ingestSeconds,
      duplicateRows,
      rows,
      throughputSeries: perSecond(firstRows, pass.startedMs),
      ...(latencies.length > 0 && { latencyMs: percentiles(latencies) }),
    };
  } finally {
    await target.close();
  }
}

/** Runs `work` on every item, at most `limit` at once; `done` counts finished items. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, done: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  const loop = async () => {
    for (let i = next++; i < items.length; i = next++) {
      await work(items[i] as T, done);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, loop));
}
