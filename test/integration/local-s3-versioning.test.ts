import {
  CreateBucketCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';

// fauxqs routes every request on `/bucket` by method alone: before the stack answered the
// versioning calls itself, GetBucketVersioning got the bucket's listing and PutBucketVersioning
// created the bucket.

const BUCKET = 'versioning-answers';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false });
  await stack.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const Key of ['a.txt', 'b/c.txt']) {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
  }
});
afterAll(async () => {
  await stack?.stop();
});

describe('the embedded S3 answers bucket versioning as S3 does for a bucket never versioned', () => {
  it('GetBucketVersioning: an empty VersioningConfiguration, not the listing', async () => {
    const answer = await stack.clients.s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }));
    expect(answer.Status).toBeUndefined();
    expect(answer.MFADelete).toBeUndefined();
    for (const path of [`/${BUCKET}?versioning`, `/${BUCKET}/?versioning`]) {
      const raw = await fetch(new URL(path, stack.description.endpoints.s3));
      const body = await raw.text();
      expect(raw.status).toBe(200);
      expect(body).toContain('<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
      expect(body).not.toContain('a.txt');
    }
  });

  it('GetBucketVersioning of a missing bucket: NoSuchBucket', async () => {
    await expect(
      stack.clients.s3.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket' })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
  });

  it('PutBucketVersioning: 501 NotImplemented with the reason, and no bucket is created', async () => {
    for (const Bucket of [BUCKET, 'created-by-versioning']) {
      await expect(
        stack.clients.s3.send(
          new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
        ),
      ).rejects.toMatchObject({
        name: 'NotImplemented',
        message: expect.stringContaining('keeps no object versions'),
        $metadata: { httpStatusCode: 501 },
      });
    }
    await expect(
      stack.clients.s3.send(new HeadBucketCommand({ Bucket: 'created-by-versioning' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('leaves the bucket listing and bucket creation as they were', async () => {
    const raw = await fetch(new URL(`/${BUCKET}?list-type=2`, stack.description.endpoints.s3));
    expect(await raw.text()).toContain('<Key>b/c.txt</Key>');
    await stack.clients.s3.send(new CreateBucketCommand({ Bucket: 'made-plainly' }));
    const head = await stack.clients.s3.send(new HeadBucketCommand({ Bucket: 'made-plainly' }));
    expect(head.$metadata.httpStatusCode).toBe(200);
  });
});
