import {
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildS3Notification } from '../local/notification.js';

/**
 * The sequencer of backfilled events: the lowest there is, so a backfill fills in missing upload and
 * state rows but never overrides a state that a real S3 event wrote.
 */
export const BACKFILL_SEQUENCER = '0000000000000000';

/** Counts of a backfill, reported as it goes. */
export interface BackfillProgress {
  listed: number;
  enqueued: number;
  /** Objects that vanished between listing and HeadObject. */
  vanished: number;
}

/**
 * Re-enqueues ObjectCreated notifications for objects that already exist (ListObjectsV2, then
 * HeadObject for the current version), for recovery after a lost table or a notification
 * misconfiguration. The worker's idempotency makes a second run add nothing.
 */
export async function backfill(options: {
  s3: S3Client;
  sqs: SQSClient;
  bucket: string;
  prefix?: string;
  queueUrl: string;
  region: string;
  onProgress?: (progress: BackfillProgress) => void;
}): Promise<BackfillProgress> {
  const progress: BackfillProgress = { listed: 0, enqueued: 0, vanished: 0 };
  let token: string | undefined;
  do {
    const page = await options.s3.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        ...(options.prefix && { Prefix: options.prefix }),
        ...(token && { ContinuationToken: token }),
      }),
    );
    token = page.NextContinuationToken;
    const bodies: string[] = [];
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      progress.listed += 1;
      let head: HeadObjectCommandOutput;
      try {
        head = await options.s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: object.Key }));
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
          progress.vanished += 1;
          continue;
        }
        throw error;
      }
      bodies.push(
        JSON.stringify(
          buildS3Notification({
            eventName: 'ObjectCreated:Put',
            bucket: options.bucket,
            key: object.Key,
            eTag: (head.ETag ?? object.ETag ?? '').replace(/"/g, ''),
            size: head.ContentLength ?? object.Size ?? 0,
            ...(head.VersionId && head.VersionId !== 'null' && { versionId: head.VersionId }),
            eventTime: head.LastModified ?? object.LastModified ?? new Date(),
            sequencer: BACKFILL_SEQUENCER,
            principalId: 's3-ingest-backfill',
            sourceIp: 'backfill',
            requestId: 'BACKFILL',
            region: options.region,
          }),
        ),
      );
    }
    for (let i = 0; i < bodies.length; i += 10) {
      const chunk = bodies.slice(i, i + 10);
      const result = await options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
      if (result.Failed && result.Failed.length > 0) {
        throw new Error(
          `SendMessageBatch failed for ${result.Failed.length} notifications: ${result.Failed[0]?.Message}`,
        );
      }
      progress.enqueued += chunk.length;
      options.onProgress?.({ ...progress });
    }
  } while (token);
  return progress;
}
