import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyDestinationKey } from '../../src/core/copy-plan.js';
import { buildS3Notification } from '../../src/core/s3-notification.js';
import { type DynamoDbBackend, javaAvailable } from '../../src/local/dynamodb-server.js';
import { SequencerClock } from '../../src/local/notification.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import {
  drained,
  queueDepth,
  receiveBodies,
  TEST_VISIBILITY_TIMEOUT_SECONDS,
  uploadLogReader,
} from '../support/pipeline.js';

const MAX_RECEIVE_COUNT = 3;
let stack: LocalStack;
let log: ReturnType<typeof uploadLogReader>;
const sequencers = new SequencerClock();

/** A notification for an object as it is in the local S3 now, as S3 would have sent it. */
async function notificationFor(
  key: string,
  sequencer = sequencers.next(),
  bucket = 'uploads',
): Promise<string> {
  const object = await stack.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await object.Body?.transformToByteArray();
  return JSON.stringify(
    buildS3Notification({
      eventName: 'ObjectCreated:Put',
      bucket,
      key,
      eTag: object.ETag?.replace(/"/g, ''),
      size: object.ContentLength,
      eventTime: new Date(),
      sequencer,
      principalId: 'AWS:test',
      sourceIp: '127.0.0.1',
      requestId: 'TEST',
      region: 'us-east-1',
    }),
  );
}

async function upload(key: string, body: string | Buffer): Promise<string> {
  const { ETag } = await stack.clients.s3.send(
    new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: body }),
  );
  return ETag?.replace(/"/g, '') ?? '';
}

/** AWS's DynamoDB Local proves the same behaviour on AWS's implementation, where Java is present. */
const backends: DynamoDbBackend[] = javaAvailable() ? ['dynalite', 'dynamodb-local'] : ['dynalite'];
if (!javaAvailable()) {
  console.warn('Java was not found: the pipeline tests run on dynalite only, not on AWS DynamoDB Local.');
}

describe.each(backends)('pipeline on the local stack with %s', (backend) => {
  beforeAll(async () => {
    stack = await startLocalStack({
      dynamodb: backend,
      s3Port: 0,
      dynamodbPort: 0,
      visibilityTimeoutSeconds: TEST_VISIBILITY_TIMEOUT_SECONDS,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      worker: { batchSize: 10, batchingWindowMs: 100, concurrency: 2 },
      // uploads-private is recorded too: the bridge does not announce it, so only a test's own messages do.
      workerEnv: { WATCHED_BUCKETS: 'uploads,uploads-private' },
    });
    log = uploadLogReader(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('turns an upload into one upload row and a PRESENT state row', async () => {
    const eTag = await upload('it/one.txt', 'hello pipeline');
    // The state row is written after the upload row: wait for the queue to drain, then look.
    await drained(stack);
    const [row] = await log.uploadsOf('it/one.txt');
    expect(row).toMatchObject({ eTag, size: 14, status: 'STORED', key: 'it/one.txt', uploader: 'AWS:local' });
    expect(await log.stateOf('it/one.txt')).toMatchObject({ status: 'PRESENT', eTag, size: 14 });
    expect(await log.uploadsOf('it/one.txt')).toHaveLength(1);
  });

  it('writes one row for the same notification delivered many times, also concurrently', async () => {
    // Prepare: the object exists; its notification is then delivered 6 more times at once.
    const eTag = await upload('it/dup.txt', 'duplicate me');
    await drained(stack);
    const body = await notificationFor('it/dup.txt');
    const before = stack.metrics.totals().DuplicatesSkipped;
    // Act
    await stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queues.ingest.url,
        Entries: Array.from({ length: 6 }, (_, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    await drained(stack);
    // Assess
    expect((await log.uploadsOf('it/dup.txt')).map((row) => row.eTag)).toEqual([eTag]);
    expect(stack.metrics.totals().DuplicatesSkipped - before).toBeGreaterThanOrEqual(6);
  });

  it('adds no row for identical content, a row for new content, and ignores a late older event', async () => {
    const first = await upload('it/versions.txt', 'content A');
    await drained(stack);
    const oldNotification = await notificationFor('it/versions.txt', sequencers.next());
    await upload('it/versions.txt', 'content A');
    await drained(stack);
    expect(await log.uploadsOf('it/versions.txt')).toHaveLength(1);

    const second = await upload('it/versions.txt', 'content B, longer');
    await drained(stack);
    expect((await log.uploadsOf('it/versions.txt')).map((row) => row.eTag).sort()).toEqual(
      [first, second].sort(),
    );
    expect(await log.stateOf('it/versions.txt')).toMatchObject({ eTag: second, size: 17 });

    const staleBefore = stack.metrics.totals().StaleEventsIgnored;
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.ingest.url, MessageBody: oldNotification }),
    );
    await drained(stack);
    expect(await log.stateOf('it/versions.txt')).toMatchObject({ eTag: second });
    expect(stack.metrics.totals().StaleEventsIgnored - staleBefore).toBe(1);
  });

  it('marks the state DELETED after a delete and keeps the upload row', async () => {
    await upload('it/delete-me.txt', 'short-lived');
    await drained(stack);
    await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: 'it/delete-me.txt' }));
    await drained(stack);
    expect(await log.stateOf('it/delete-me.txt')).toMatchObject({ status: 'DELETED' });
    expect(await log.uploadsOf('it/delete-me.txt')).toHaveLength(1);
  });

  it('sends a poison message to the DLQ after maxReceiveCount receives and stores the good ones of its batch', async () => {
    // Prepare: two new objects in a bucket the bridge does not watch, so only our messages announce them.
    const keys = ['it/good-1.txt', 'it/good-2.txt'];
    for (const key of keys) {
      await stack.clients.s3.send(new PutObjectCommand({ Bucket: 'uploads-private', Key: key, Body: key }));
    }
    const goodBodies = await Promise.all(
      keys.map((key) => notificationFor(key, sequencers.next(), 'uploads-private')),
    );
    const poison = '{"Records":[{"this is":"not an S3 event"}]}';
    // Act: one batch, good records around the poison one.
    await stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queues.ingest.url,
        Entries: [goodBodies[0], poison, goodBodies[1]].map((body, i) => ({
          Id: String(i),
          MessageBody: body,
        })),
      }),
    );
    // Assess
    const dlqBodies = await waitFor(
      'the poison message in the DLQ',
      async () => {
        const bodies = await receiveBodies(stack.clients.sqs, stack.queues.dlq.url);
        return bodies.length > 0 && bodies;
      },
      { timeoutMs: 20_000 },
    );
    expect(dlqBodies).toEqual([poison]);
    for (const key of keys) {
      expect(await log.rowsOf(key, 'uploads-private')).toContainEqual(
        expect.objectContaining({ status: 'STORED', key }),
      );
    }
  });

  it('loses nothing while DynamoDB fails for a while: records are retried', async () => {
    // Prepare: DynamoDB is unreachable for the worker, as in an outage, until records have failed for it.
    // The front door stands where AWS's endpoints do: the outage is what the worker sees, not the test.
    const door = stack.frontDoor;
    if (!door) throw new Error('the stack runs no worker');
    door.faults.dynamodbDown = true;
    const failedBefore = stack.metrics.totals().RecordsFailed;
    const dlqBefore = await queueDepth(stack.clients.sqs, stack.queues.dlq.url);
    // Act
    const keys = Array.from({ length: 5 }, (_, i) => `it/outage-${i}.txt`);
    for (const key of keys) await upload(key, `payload ${key}`);
    await waitFor(
      'records to fail during the outage',
      () => stack.metrics.totals().RecordsFailed - failedBefore >= 3,
    );
    door.faults.dynamodbDown = false;
    await drained(stack);
    // Assess
    expect(stack.metrics.totals().RecordsFailed - failedBefore).toBeGreaterThan(0);
    expect(door.faultsInjected.dynamodbUnreachable).toBeGreaterThan(0);
    for (const key of keys) {
      expect(await log.uploadsOf(key)).toHaveLength(1);
      expect(await log.stateOf(key)).toMatchObject({ status: 'PRESENT' });
    }
    expect(await queueDepth(stack.clients.sqs, stack.queues.dlq.url)).toBe(dlqBefore);
  });

  it('counts every object exactly once while an execution environment is killed mid-batch', async () => {
    // Prepare
    const environments = stack.environments;
    if (!environments) throw new Error('the stack does not run the bundle');
    const before = stack.metrics.totals();
    const killedBefore = environments.stats.environmentsKilled;
    const keys = Array.from({ length: 30 }, (_, i) => `it/killed-${i}.txt`);
    // Act: kill a busy environment as soon as there is one; its batch comes back after the visibility timeout.
    const uploads = Promise.all(keys.map((key) => upload(key, `payload ${key}`)));
    await waitFor('an environment to be killed mid-batch', () => environments.killBusy(), {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    await uploads;
    await drained(stack, 60_000);
    // Assess: the killed invocation published nothing; the redelivery counted what it had recorded.
    const after = stack.metrics.totals();
    expect(environments.stats.environmentsKilled - killedBefore).toBe(1);
    expect(after.ObjectsIngested - before.ObjectsIngested).toBe(keys.length);
    expect(after.DuplicatesSkipped - before.DuplicatesSkipped).toBe(0);
    for (const key of keys) expect(await log.uploadsOf(key)).toHaveLength(1);
  });

  it('round-trips keys with spaces, +, %, unicode and 1024 bytes exactly, and copies accepted objects', async () => {
    const longKey = `it/long/${'k'.repeat(1024 - 'it/long/'.length)}`;
    const keys = [
      'it/with space.txt',
      'it/plus+sign.txt',
      'it/100%/pct=5%.csv',
      'it/ünï/日本 😀.txt',
      longKey,
    ];
    expect(Buffer.byteLength(longKey)).toBe(1024);
    for (const key of keys) await upload(key, `body of ${key}`);
    await drained(stack);
    for (const key of keys) {
      const [row] = await log.uploadsOf(key);
      // uploads/ + a 1,024-byte key would pass S3's key limit: that copy gets a shortened, hashed key.
      const destinationKey = copyDestinationKey({ bucket: 'uploads', key });
      expect(destinationKey === `uploads/${key}`).toBe(key !== longKey);
      expect(row).toMatchObject({
        key,
        status: 'STORED',
        copiedTo: `s3://uploads-private/${destinationKey}`,
      });
      const copy = await stack.clients.s3.send(
        new GetObjectCommand({ Bucket: 'uploads-private', Key: destinationKey }),
      );
      expect(await copy.Body?.transformToString()).toBe(`body of ${key}`);
    }
  });
});
