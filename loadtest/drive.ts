import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { forEachLimited } from '../src/concurrency.js';
import { buildS3Notification } from '../src/core/s3-notification.js';
import { eicarTestFile } from '../src/local/malware-scanner.js';
import { waitFor } from '../src/local/wait.js';
import { BACKFILL_SEQUENCER } from '../src/tools/backfill.js';
import { queueDepth } from '../src/tools/dlq-operations.js';
import type { FaultInjector } from './fault-injector.js';
import type { LoadTestOptions, Pass, Progress } from './report-types.js';
import type { LoadTarget } from './targets.js';
import type { UploadedVersion } from './verify.js';
import { objectBody, type PlannedObject, poisonBody, type Workload } from './workload.js';

// The drive and drain phases: uploads at the asked rate, the injected faults, bounded waits.

/**
 * Uploads the workload, injects its faults and waits for the pipeline to drain.
 *
 * @param onUploadsSent - called once every upload and poison message is sent, before the drain
 */
export async function drive(
  target: LoadTarget,
  injector: FaultInjector,
  workload: Workload,
  runId: string,
  options: Pick<LoadTestOptions, 'sizeBytes' | 'concurrency' | 'rate' | 'drainTimeoutMs'>,
  onProgress: (progress: Progress) => void,
  onUploadsSent: () => void = () => undefined,
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
  onUploadsSent();
  await target.settle();
  await injector.flushDelayed();
  await drained(target, options.drainTimeoutMs, onProgress);
  await injector.releaseLate();
  await drained(target, options.drainTimeoutMs, onProgress);
  if ((await injector.releaseScanResults()) > 0) await drained(target, options.drainTimeoutMs, onProgress);
  return { startedMs, drainedMs: Date.now(), uploaded };
}

async function upload(
  target: LoadTarget,
  object: PlannedObject,
  version: number,
  runId: string,
  sizeBytes: number,
): Promise<UploadedVersion & { versionId?: string }> {
  const body = object.infected ? eicarTestFile() : objectBody(runId, object.index, version, sizeBytes);
  const answer = await target.uploader.put({
    bucket: target.bucket,
    key: object.key,
    body,
    contentType: 'application/octet-stream',
  });
  return {
    eTag: (answer.eTag ?? '').replace(/"/g, ''),
    size: body.length,
    ...(answer.versionId && answer.versionId !== 'null' && { versionId: answer.versionId }),
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
export async function drained(
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
