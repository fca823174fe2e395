import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ObjectStore } from '../adapters/object-store.js';
import {
  type BatchResponse,
  type BatchResultCode,
  type BatchTask,
  batchResponse,
  parseBatchInvocation,
} from '../core/batch-operations.js';
import { buildS3Notification } from '../core/s3-notification.js';
import { BACKFILL_SEQUENCER } from '../core/sequencer.js';

/** What the backfill function needs. */
export interface BatchBackfillDependencies {
  readonly objects: ObjectStore;
  readonly sqs: SQSClient;
  readonly ingestQueueUrl: string;
  readonly region: string;
}

/** Errors that pass: throttling, a service busy or failing for a moment. Batch Operations retries them. */
function isTransient(error: unknown): boolean {
  const shape = error as {
    name?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  } | null;
  const status = shape?.$metadata?.httpStatusCode ?? 0;
  return (
    status >= 500 ||
    status === 429 ||
    shape?.$retryable !== undefined ||
    /Throttl|SlowDown|RequestLimitExceeded|TooManyRequests|TimeoutError|ECONNRESET/.test(shape?.name ?? '')
  );
}

/**
 * The S3 Batch Operations backfill: for each task, HeadObject of the object's current version (a
 * Batch Operations manifest names objects only, and a notification needs the eTag and size), then
 * one S3-shaped ObjectCreated notification of that version on the ingest queue, with the lowest
 * sequencer like every backfill. Only current versions are enqueued: a task naming a version that
 * is no longer current succeeds as skipped (it would record an old version as current, since every
 * backfill notification has the same sequencer). A task without a version (an unversioned bucket,
 * or a version written before versioning, `null`) means the current version. A task whose object
 * is gone fails permanently with that reason; throttling and 5xx fail temporarily, so Batch
 * Operations retries them.
 */
export function createBatchBackfillHandler(
  deps: BatchBackfillDependencies,
): (event: unknown) => Promise<BatchResponse> {
  const enqueue = async (task: BatchTask): Promise<{ resultCode: BatchResultCode; resultString: string }> => {
    const head = await deps.objects.head({ bucket: task.bucket, key: task.key });
    if (!head?.eTag) return { resultCode: 'PermanentFailure', resultString: 'object no longer exists' };
    if (task.versionId !== undefined && task.versionId !== head.versionId) {
      return {
        resultCode: 'Succeeded',
        resultString: `skipped: version ${task.versionId} is not the current version (${head.versionId ?? 'null'})`,
      };
    }
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.ingestQueueUrl,
        MessageBody: JSON.stringify(
          buildS3Notification({
            eventName: 'ObjectCreated:Put',
            bucket: task.bucket,
            key: task.key,
            eTag: head.eTag,
            size: head.size ?? 0,
            ...(head.versionId && { versionId: head.versionId }),
            eventTime: head.lastModified ? new Date(head.lastModified) : new Date(),
            sequencer: BACKFILL_SEQUENCER,
            principalId: 's3-ingest-batch-operations',
            sourceIp: 'batch-operations',
            requestId: 'BATCHOPS',
            region: deps.region,
          }),
        ),
      }),
    );
    return { resultCode: 'Succeeded', resultString: 'notification enqueued' };
  };
  return async (event) => {
    const invocation = parseBatchInvocation(event);
    const results = await Promise.all(
      invocation.tasks.map(async (task) => {
        try {
          return { taskId: task.taskId, ...(await enqueue(task)) };
        } catch (error) {
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          return {
            taskId: task.taskId,
            resultCode: isTransient(error) ? ('TemporaryFailure' as const) : ('PermanentFailure' as const),
            resultString: reason.slice(0, 1000),
          };
        }
      }),
    );
    return batchResponse(invocation, results);
  };
}
