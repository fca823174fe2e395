import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { forEachLimited } from '../src/concurrency.js';
import { waitFor } from '../src/local/wait.js';
import { peekMessages, queueDepth } from '../src/tools/dlq-operations.js';
import { ToolError } from '../src/tools/tool-error.js';
import { UploadQueries } from '../src/tools/upload-queries.js';
import { difference, dynamoDbWrites } from './aws-call-counter.js';
import { runBaseline } from './baseline.js';
import { measureConditionalPutRate } from './calibrate.js';
import { type ChaosReport, chaosWanted, startChaos } from './chaos.js';
import { costPerMillion, DEFAULT_COST_ASSUMPTIONS } from './cost.js';
import { drive } from './drive.js';
import { checkEvents, EventSubscriber, type EventsCheck } from './event-feed.js';
import { EventLoopSampler, meanOfFirst } from './event-loop.js';
import { FaultInjector } from './fault-injector.js';
import { limitingFactor } from './limit.js';
import type { LoadTestOptions, LoadTestReport, Pass, Progress } from './report-types.js';
import { compareRuntime } from './runtime-comparison.js';
import { histogram, percentiles, perSecond, round } from './stats.js';
import { embeddedTarget, type LoadTarget, maxReceiveCountOf, remoteTarget } from './targets.js';
import {
  checkMetrics,
  classifyDlq,
  emptyMalwareVerification,
  emptyVerification,
  goodMessagesInDlq,
  verifyMalwareGate,
  verifyObject,
} from './verify.js';
import { planWorkload } from './workload.js';
import { measureWritesPerEvent } from './write-cost.js';

// The load test's phases, each in its own module: plan (workload.ts), drive and drain (drive.ts),
// verify (verify.ts), measure (calibrate.ts, write-cost.ts, cost.ts), baseline (baseline.ts),
// report (summary.ts, html-report.ts). This module runs them in order.

export type { LoadTestOptions, LoadTestReport, Progress } from './report-types.js';

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
  const malwareGate = workload.infectedInjected > 0;
  const target =
    options.target === 'embedded'
      ? await embeddedTarget(injector, { ...options, malwareGate })
      : await remoteTarget({
          target: options.target,
          ...(options.stackName && { stackName: options.stackName }),
          ...(options.region && { region: options.region }),
          ...(options.stackFile && { stackFile: options.stackFile }),
        });
  try {
    if (malwareGate && !target.copyDestinationBucket) {
      throw new ToolError(
        '--malware-rate checks that nothing infected reaches the copy destination: this stack has none (deploy it with -c copyDestination=true)',
      );
    }
    const maxReceiveCount = await maxReceiveCountOf(target.sqs, target.ingestQueueUrl);
    const dlqBefore = (await queueDepth(target.sqs, target.dlqUrl)).visible;
    const callsBefore = target.calls?.snapshot() ?? {};
    // A subscriber of the upload events, from before the first upload.
    const subscriber = target.events ? new EventSubscriber() : undefined;
    if (subscriber && target.events)
      await subscriber.start({ sqs: target.sqs, sns: target.events.sns }, target.events.topicArn);
    const sampler = new EventLoopSampler();
    sampler.start();
    const chaos =
      target.worker && chaosWanted(options.chaos)
        ? startChaos(target.worker.frontDoor, target.worker.environments, options.chaos, target.eventSource)
        : undefined;
    let chaosReport: ChaosReport | undefined;
    let pass: Pass;
    // Faults while the load is applied; the drain (retries, delayed duplicates, late events) then
    // runs on a healthy stack, so a fixed kill rate does not fall on the same retried batch forever.
    const stopChaos = () => {
      chaosReport ??= chaos?.stop();
    };
    try {
      pass = await drive(target, injector, workload, runId, options, onProgress, stopChaos);
    } finally {
      stopChaos();
    }
    const busySeries = sampler.stop();
    const callsDuring = target.calls ? difference(target.calls.snapshot(), callsBefore) : undefined;

    // Verify every object, row by row.
    const verification = emptyVerification();
    const queries = new UploadQueries(target.dynamodb, target.uploadLogTable);
    const latencies: number[] = [];
    const processedAt: number[] = [];
    const lateFirstETags = new Set<string>();
    const newestProcessedAt: number[] = [];
    const uploadRows: Record<string, unknown>[] = [];
    const malware = malwareGate ? emptyMalwareVerification() : undefined;
    const scanLatencies: number[] = [];
    await forEachLimited(workload.objects, 16, async (object, done) => {
      const versions = pass.uploaded.get(object.key) ?? [];
      if (target.tapped && object.versions === 2 && versions[0]) lateFirstETags.add(versions[0].eTag);
      const rows = await queries.byObject(target.bucket, object.key);
      const expectedObject = { key: object.key, versions, infected: object.infected === true };
      verifyObject(expectedObject, rows, verification);
      const newestETag = versions.at(-1)?.eTag;
      if (malware && target.copyDestinationBucket) {
        const newestRow = rows.uploads.find((row) => row.eTag === newestETag);
        const copied = await copiedETag(target, target.copyDestinationBucket, object.key);
        verifyMalwareGate(expectedObject, newestRow, copied, malware, verification.problems);
        if (typeof newestRow?.scannedAt === 'string')
          scanLatencies.push(Date.parse(newestRow.scannedAt) - Date.parse(String(newestRow.eventTime)));
      }
      for (const row of rows.uploads) {
        uploadRows.push(row);
        processedAt.push(Date.parse(String(row.processedAt)));
        if (row.eTag === newestETag) newestProcessedAt.push(Date.parse(String(row.processedAt)));
        // A held-back notification's delay is the fault injected, not the pipeline's latency.
        if (!lateFirstETags.has(String(row.eTag))) latencies.push(Number(row.ingestLatencyMs));
      }
      if (done % 200 === 0) onProgress({ phase: 'verify', done, total: workload.objects.length });
    });
    onProgress({ phase: 'verify', done: workload.objects.length, total: workload.objects.length });

    const events = subscriber
      ? await awaitEvents(subscriber, uploadRows, `loadtest/${runId}/`, onProgress)
      : undefined;
    const publisherInvocations = target.eventSource?.invocations;

    const dlq = await peekMessages(target.sqs, target.dlqUrl, dlqBefore + workload.poisonInjected + 100);
    const dlqCounts = classifyDlq(
      dlq.map((m) => m.body),
      runId,
    );

    const uploads = workload.objects.length + workload.lateInjected;
    const emitted = await target.emfTotals();
    // Each scan recorded on a row once (a late object's first version may be overwritten before its
    // scan: then it has none), and a threat found for each infected object.
    const scanCounts: Record<string, number> = malwareGate
      ? {
          ScansRecorded: uploadRows.filter((row) => row.scanStatus !== undefined).length,
          ThreatsFound: workload.infectedInjected,
        }
      : {};
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
          ...scanCounts,
        }
      : {
          'ObjectsIngested+ObjectsGone': uploads,
          DuplicatesSkipped: workload.duplicatesInjected + workload.lateInjected,
          ObjectsRejected: 0,
          ...scanCounts,
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
      ? costPerMillion(
          callsPerObject,
          1,
          { ...DEFAULT_COST_ASSUMPTIONS, batchSize: options.batchSize },
          events && publisherInvocations !== undefined
            ? {
                publishesPerUpload: events.received / uploads,
                invocationsPerUpload: publisherInvocations / uploads,
              }
            : undefined,
        )
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
    const runtimeComparison =
      options.compareRuntime && target.kind === 'embedded'
        ? await compareRuntime(workload, runId, options, throughputPerSec, onProgress)
        : undefined;

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
      goodMessagesInDlq: goodMessagesInDlq(
        dlq.map((m) => m.body),
        runId,
      ),
      runtime: target.worker ? runtimeOf(target.worker) : null,
      ...(chaosReport && { chaos: chaosReport }),
      metricsMatch: metrics ? metrics.match : null,
      malware: malware ? { ...malware, scanLatencyMs: percentiles(scanLatencies) } : null,
      events: events ?? null,
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
      ...(runtimeComparison && { runtimeComparison }),
      throughputSeries: perSecond(processedAt, pass.startedMs),
      latencyHistogram: histogram(latencies),
    };
  } finally {
    await target.close();
  }
}

/** The eTag of an object's copy in the copy destination (the worker copies `bucket/key`), if there is one. */
async function copiedETag(target: LoadTarget, destination: string, key: string): Promise<string | undefined> {
  try {
    const head = await target.s3.send(
      new HeadObjectCommand({ Bucket: destination, Key: `${target.bucket}/${key}` }),
    );
    return head.ETag?.replace(/"/g, '');
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return undefined;
    throw error;
  }
}

/** How long the events of the last rows may take to reach the subscriber after the log drained. */
const EVENTS_WAIT_MS = 60_000;

/**
 * Waits (bounded) until every verified row's event reached the subscriber, stops it, and checks
 * what it received against the rows.
 */
async function awaitEvents(
  subscriber: EventSubscriber,
  rows: readonly Record<string, unknown>[],
  keyPrefix: string,
  onProgress: (progress: Progress) => void,
): Promise<EventsCheck> {
  try {
    const total = rows.length;
    await waitFor(
      'the upload events of every row',
      () => {
        const check = checkEvents(rows, subscriber.received, keyPrefix);
        onProgress({ phase: 'upload events', done: total - check.missing, total });
        return check.missing === 0;
      },
      { timeoutMs: EVENTS_WAIT_MS, intervalMs: 250 },
    ).catch(() => undefined); // what is still missing is reported, not thrown
    return checkEvents(rows, subscriber.received, keyPrefix);
  } finally {
    await subscriber.stop();
  }
}

/** The report's view of the embedded worker's runtime: mode, Node.js, environments and their cold starts. */
function runtimeOf(worker: NonNullable<LoadTarget['worker']>): NonNullable<LoadTestReport['runtime']> {
  const coldStarts = worker.environments?.stats.coldStartMs ?? [];
  const p50 = percentiles(coldStarts).p50;
  return {
    mode: worker.runtime.mode,
    node: worker.runtime.node,
    environments: worker.environments?.stats.environmentsCreated ?? 0,
    coldStartMs: coldStarts.length > 0 ? { p50: round(p50), max: round(Math.max(...coldStarts)) } : null,
  };
}
