import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessageBody } from '../../src/core/envelope.js';
import { compareSequencers } from '../../src/core/sequencer.js';
import type { ObjectEvent } from '../../src/core/types.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { receiveBodies } from '../support/pipeline.js';

let stack: LocalStack;
const received: { raw: Record<string, unknown>; event: ObjectEvent }[] = [];

/** Drains the ingest queue until `count` notifications arrived (no worker runs in this file). */
async function nextNotifications(count: number) {
  const start = received.length;
  await waitFor(`${count} notifications`, async () => {
    for (const body of await receiveBodies(stack.clients.sqs, stack.queues.ingest.url)) {
      const parsed = parseMessageBody(body);
      if (parsed.type !== 'object-events') throw new Error('unexpected test event');
      for (const event of parsed.events) received.push({ raw: JSON.parse(body).Records[0], event });
    }
    return received.length >= start + count;
  });
  await stack.bridge.drain();
  return received.slice(start);
}

beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false, visibilityTimeoutSeconds: 30 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('local S3 notification bridge', () => {
  it('turns a PutObject into one notification in AWS shape', async () => {
    // Act
    const put = await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'uploads', Key: 'bridge/a b+c.txt', Body: 'twelve bytes' }),
    );
    const [only] = await nextNotifications(1);
    // Assess
    expect(only?.event).toMatchObject({
      kind: 'created',
      bucket: 'uploads',
      key: 'bridge/a b+c.txt',
      eTag: put.ETag?.replace(/"/g, ''),
      size: 12,
      eventName: 'ObjectCreated:Put',
      uploader: 'AWS:local',
      sourceIp: '127.0.0.1',
    });
    expect(only?.raw).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      s3: {
        configurationId: 'local-ingest',
        bucket: { arn: 'arn:aws:s3:::uploads' },
        object: { key: 'bridge/a+b%2Bc.txt' },
      },
    });
  });

  it('notifies CopyObject, CompleteMultipartUpload, DeleteObject and DeleteObjects once per object', async () => {
    // Prepare
    const s3 = stack.clients.s3;
    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'bridge/src.txt', Body: 'source' }));
    await nextNotifications(1);
    // Act
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'uploads',
        Key: 'bridge/copy.txt',
        CopySource: 'uploads/bridge/src.txt',
      }),
    );
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'bridge/multi.bin' }),
    );
    const part1 = await s3.send(
      new UploadPartCommand({
        Bucket: 'uploads',
        Key: 'bridge/multi.bin',
        UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(5 * 1024 * 1024, 1),
      }),
    );
    const part2 = await s3.send(
      new UploadPartCommand({
        Bucket: 'uploads',
        Key: 'bridge/multi.bin',
        UploadId,
        PartNumber: 2,
        Body: Buffer.from('tail'),
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'uploads',
        Key: 'bridge/multi.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: part1.ETag },
            { PartNumber: 2, ETag: part2.ETag },
          ],
        },
      }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: 'bridge/copy.txt' }));
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'uploads',
        Delete: { Objects: [{ Key: 'bridge/src.txt' }, { Key: 'bridge/multi.bin' }] },
      }),
    );
    const events = (await nextNotifications(5)).map((n) => n.event);
    // Assess
    expect(events.map((e) => `${e.eventName} ${e.key}`)).toEqual([
      'ObjectCreated:Copy bridge/copy.txt',
      'ObjectCreated:CompleteMultipartUpload bridge/multi.bin',
      'ObjectRemoved:Delete bridge/copy.txt',
      'ObjectRemoved:Delete bridge/src.txt',
      'ObjectRemoved:Delete bridge/multi.bin',
    ]);
    expect(events[1]?.eTag).toMatch(/-2$/);
    expect(events[1]?.size).toBe(5 * 1024 * 1024 + 4);
    expect(events[2]?.eTag).toBeUndefined();
    // Nothing else was sent: part uploads and the multipart start are not object changes.
    expect(await receiveBodies(stack.clients.sqs, stack.queues.ingest.url)).toEqual([]);
  });

  it('names each key DeleteObjects removed as it is, markup-like text included', async () => {
    // Prepare: keys whose names hold text that looks like XML escapes. (Not `&lt;`: fauxqs reads
    // DeleteObjects' request unescaping `&amp;` first, so it would delete `<` instead.)
    const s3 = stack.clients.s3;
    const keys = ['bridge/x&amp;y.txt', 'bridge/x&amp;amp;y <z>.txt'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: 'x' }));
    await nextNotifications(keys.length);
    // Act
    await s3.send(
      new DeleteObjectsCommand({ Bucket: 'uploads', Delete: { Objects: keys.map((key) => ({ Key: key })) } }),
    );
    const events = (await nextNotifications(keys.length)).map((n) => n.event);
    // Assess
    expect(events.map((e) => `${e.eventName} ${e.key}`)).toEqual(
      keys.map((key) => `ObjectRemoved:Delete ${key}`),
    );
  });

  it('gives every notification a larger sequencer than the one before', async () => {
    const s3 = stack.clients.s3;
    for (let i = 0; i < 5; i++) {
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'bridge/seq.txt', Body: `v${i}` }));
    }
    const sequencers = (await nextNotifications(5)).map((n) => n.event.sequencer);
    for (let i = 1; i < sequencers.length; i++) {
      expect(compareSequencers(sequencers[i] ?? '', sequencers[i - 1] ?? '')).toBeGreaterThan(0);
    }
  });

  it('sends nothing for buckets it does not watch', async () => {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: 'uploads-private', Key: 'x.txt', Body: 'x' }));
    await stack.bridge.drain();
    expect(await receiveBodies(stack.clients.sqs, stack.queues.ingest.url)).toEqual([]);
  });
});
