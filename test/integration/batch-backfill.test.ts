import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/object-store.js';
import type { LocalStack } from '../../src/local/stack.js';
import { createBatchBackfillHandler } from '../../src/worker/batch-backfill.js';
import { drained, startTestStack, uploadLogReader } from '../support/pipeline.js';

// The S3 Batch Operations backfill function's handler, with real task events of both schemas,
// against the local stack: it heads real objects and enqueues on the real ingest queue, and the
// worker records them.

let stack: LocalStack;
let log: ReturnType<typeof uploadLogReader>;

beforeAll(async () => {
  stack = await startTestStack();
  log = uploadLogReader(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const handlerWith = (sqs: SQSClient = stack.clients.sqs) =>
  createBatchBackfillHandler({
    objects: new S3ObjectStore(stack.clients.s3),
    sqs,
    ingestQueueUrl: stack.queues.ingest.url,
    region: 'us-east-1',
  });

describe('the Batch Operations backfill function', () => {
  it('enqueues each task of a schema 1.0 and a 2.0 invocation, and the worker records the objects', async () => {
    // Prepare: objects in a bucket the bridge does not notify, so only the backfill tells the worker.
    for (const key of ['batch/one file.txt', 'batch/two.txt']) {
      await stack.clients.s3.send(new PutObjectCommand({ Bucket: 'uploads-private', Key: key, Body: key }));
    }
    // Act
    const v1 = await handlerWith()({
      invocationSchemaVersion: '1.0',
      invocationId: 'inv-1',
      job: { id: 'job-1' },
      tasks: [
        {
          taskId: 't1',
          s3Key: 'batch/one+file.txt',
          s3VersionId: null,
          s3BucketArn: 'arn:aws:s3:::uploads-private',
        },
        {
          taskId: 't2',
          s3Key: 'batch/missing.txt',
          s3VersionId: null,
          s3BucketArn: 'arn:aws:s3:::uploads-private',
        },
      ],
    });
    const v2 = await handlerWith()({
      invocationSchemaVersion: '2.0',
      invocationId: 'inv-2',
      job: { id: 'job-1', userArguments: {} },
      tasks: [{ taskId: 't3', s3Key: 'batch/two.txt', s3VersionId: null, s3Bucket: 'uploads-private' }],
    });
    await drained(stack);
    // Assess
    expect(v1).toEqual({
      invocationSchemaVersion: '1.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: 'inv-1',
      results: [
        { taskId: 't1', resultCode: 'Succeeded', resultString: 'notification enqueued' },
        { taskId: 't2', resultCode: 'PermanentFailure', resultString: 'object no longer exists' },
      ],
    });
    expect(v2.results).toEqual([
      { taskId: 't3', resultCode: 'Succeeded', resultString: 'notification enqueued' },
    ]);
    for (const key of ['batch/one file.txt', 'batch/two.txt']) {
      expect((await log.rowsOf(key, 'uploads-private')).filter((row) => row.sk !== 'STATE')).toEqual([
        expect.objectContaining({ status: 'STORED', uploader: 's3-ingest-batch-operations' }),
      ]);
    }
  });

  it('answers TemporaryFailure when SQS throttles, so Batch Operations retries the task', async () => {
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'uploads-private', Key: 'batch/t.txt', Body: 't' }),
    );
    const throttling = {
      send: async () => {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      },
    } as unknown as SQSClient;
    const response = await handlerWith(throttling)({
      invocationSchemaVersion: '2.0',
      invocationId: 'inv-3',
      job: { id: 'job-2' },
      tasks: [{ taskId: 't4', s3Key: 'batch/t.txt', s3Bucket: 'uploads-private' }],
    });
    expect(response.results).toEqual([
      { taskId: 't4', resultCode: 'TemporaryFailure', resultString: 'ThrottlingException: Rate exceeded' },
    ]);
  });

  it('refuses an event that is not from Batch Operations', async () => {
    await expect(handlerWith()({ Records: [] })).rejects.toThrow('not an S3 Batch Operations event');
  });
});
