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
import type { LocalStack } from '../../src/local/stack.js';
import { drained, startTestStack, uploadLogReader } from '../support/pipeline.js';

// A bucket heard through EventBridge, end to end on the local stack: the synthesized stack's rule
// (-c ingestBucketEvents=eventbridge) decides what reaches the queue, as EventBridge events.

let stack: LocalStack;
const bodies: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    context: { ingestBucketEvents: 'eventbridge' },
    notificationTap: async (body, send) => {
      bodies.push(body);
      await send(body);
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('a bucket heard through EventBridge', () => {
  it('records uploads, copies, multipart uploads and deletes from EventBridge events only', async () => {
    const s3 = stack.clients.s3;
    const Bucket = stack.names.uploadsBucket;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'eb/a b+ü.txt', Body: 'first' }));
    await s3.send(
      new CopyObjectCommand({ Bucket, Key: 'eb/copy.txt', CopySource: `${Bucket}/eb/a%20b%2B%C3%BC.txt` }),
    );
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'eb/big.bin' }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'eb/big.bin', UploadId, PartNumber: 1, Body: 'parts' }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'eb/big.bin',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket, Key: 'eb/gone.txt', Body: 'bye' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'eb/also-gone.txt', Body: 'bye' }));
    await drained(stack);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'eb/gone.txt' }));
    await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'eb/also-gone.txt' }] } }));
    await drained(stack);

    const events = bodies.map((body) => JSON.parse(body) as Record<string, unknown>);
    expect(events).toHaveLength(7);
    for (const event of events) {
      expect(event).toMatchObject({ source: 'aws.s3', detail: { bucket: { name: Bucket } } });
      expect(event).not.toHaveProperty('Records');
    }
    expect(events.map((event) => event['detail-type'])).toEqual([
      ...Array(5).fill('Object Created'),
      'Object Deleted',
      'Object Deleted',
    ]);

    const log = uploadLogReader(stack);
    expect(await log.stateOf('eb/a b+ü.txt')).toMatchObject({ status: 'PRESENT', size: 5 });
    expect(await log.uploadsOf('eb/copy.txt')).toMatchObject([{ eventName: 'ObjectCreated:Copy' }]);
    expect(await log.uploadsOf('eb/big.bin')).toMatchObject([
      { eventName: 'ObjectCreated:CompleteMultipartUpload', size: 5 },
    ]);
    expect(await log.stateOf('eb/gone.txt')).toMatchObject({ status: 'DELETED' });
    expect(await log.stateOf('eb/also-gone.txt')).toMatchObject({ status: 'DELETED' });
  });
});
