import {
  CreateBucketCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';

const BUCKET = 'listing-order';
// In S3's order (UTF-8 bytes): digits, upper case, '_', lower case, then non-ASCII.
const KEYS = ['0.txt', 'B/2.txt', 'B/3.txt', 'Z4.txt', '_5.txt', 'a/1.txt', 'c6.txt', 'é7.txt'];

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false });
  await stack.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const Key of [...KEYS].reverse()) {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
  }
});
afterAll(async () => {
  await stack?.stop();
});

/** Every key and common prefix of a ListObjectsV2 listing, one page of `maxKeys` at a time. */
async function listV2(s3: S3Client, maxKeys: number, delimiter?: string) {
  const entries: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        MaxKeys: maxKeys,
        ...(delimiter && { Delimiter: delimiter }),
        ...(token && { ContinuationToken: token }),
      }),
    );
    entries.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    entries.push(...(page.CommonPrefixes ?? []).map((common) => common.Prefix ?? ''));
    token = page.NextContinuationToken;
  } while (token);
  return entries;
}

describe('the embedded S3 lists as S3 does', () => {
  it('in UTF-8 binary order, upper case before lower case', async () => {
    const page = await stack.clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(page.Contents?.map((object) => object.Key)).toEqual(KEYS);
  });

  it('pages through every key exactly once, a key at a time (fauxqs alone lost the upper-case keys)', async () => {
    expect(await listV2(stack.clients.s3, 1)).toEqual(KEYS);
    expect(await listV2(stack.clients.s3, 3)).toEqual(KEYS);
  });

  it('rolls keys up into common prefixes across pages, each once', async () => {
    const entries = await listV2(stack.clients.s3, 1, '/');
    expect(entries).toEqual(['0.txt', 'B/', 'Z4.txt', '_5.txt', 'a/', 'c6.txt', 'é7.txt']);
  });

  it('answers ListObjects (v1) with a marker in the same order', async () => {
    const page = await stack.clients.s3.send(
      new ListObjectsCommand({ Bucket: BUCKET, Marker: 'B/3.txt', MaxKeys: 3 }),
    );
    expect(page.Contents?.map((object) => object.Key)).toEqual(['Z4.txt', '_5.txt', 'a/1.txt']);
    expect(page.IsTruncated).toBe(true);
  });

  it('still answers NoSuchBucket for a bucket that does not exist', async () => {
    await expect(
      stack.clients.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-here' })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});
