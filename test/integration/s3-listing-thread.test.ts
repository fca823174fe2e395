import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallCounter, difference } from '../../loadtest/aws-call-counter.js';
import { type LocalStack, localCredentials, startLocalStack } from '../../src/local/stack.js';
import { listingOffThisThread } from '../../src/tools/s3-listing.js';

const BUCKET = 'listing-thread';
const KEYS = ['A/1.txt', 'A/2.txt', 'b/1.txt', 'b/2.txt', 'c.txt'];

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false });
  await stack.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const Key of KEYS)
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('listing in a worker thread', () => {
  it('answers as the client itself does, the call made by the thread with the client’s credentials', async () => {
    // Prepare: a client whose credentials provider counts the thread's requests for them.
    let credentialRequests = 0;
    const s3 = new S3Client({
      region: stack.description.region,
      endpoint: stack.description.endpoints.s3,
      forcePathStyle: true,
      credentials: async () => {
        credentialRequests += 1;
        return localCredentials();
      },
    });
    const calls = new AwsCallCounter();
    calls.attach(s3, 'S3');
    const listing = listingOffThisThread(s3);
    try {
      expect(await listing.ready).toBe(true);
      const before = calls.snapshot();
      const requestsBefore = credentialRequests;
      // Act
      const page = await listing.listObjectsV2({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2 });
      const next = await listing.listObjectsV2({
        Bucket: BUCKET,
        Delimiter: '/',
        ContinuationToken: page.NextContinuationToken,
      });
      // Assess: the same answer as the client's own, and the client itself made no call.
      const { $metadata: _, ...direct } = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2 }),
      );
      expect(page).toEqual(direct);
      expect(page.CommonPrefixes).toEqual([{ Prefix: 'A/' }, { Prefix: 'b/' }]);
      expect(next.Contents?.map((object) => object.Key)).toEqual(['c.txt']);
      expect(next.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
      expect(listing.calls()).toEqual({ mainThread: 0, listingThread: 2 });
      expect(difference(calls.snapshot(), before)).toEqual({ 'S3.ListObjectsV2': 1 });
      expect(credentialRequests).toBeGreaterThan(requestsBefore);
    } finally {
      await listing.close();
      s3.destroy();
    }
  });

  it("passes the service's error back by name, as the client would throw it", async () => {
    const listing = listingOffThisThread(stack.clients.s3);
    try {
      expect(await listing.ready).toBe(true);
      await expect(listing.listObjectsV2({ Bucket: 'no-such-bucket-here' })).rejects.toMatchObject({
        name: 'NoSuchBucket',
        $metadata: { httpStatusCode: 404 },
      });
      expect(listing.calls().listingThread).toBe(1);
    } finally {
      await listing.close();
    }
  });

  it('lists on this thread until the thread is ready, and after close', async () => {
    const listing = listingOffThisThread(stack.clients.s3);
    // Act: a call made at once, before the thread has loaded the SDK.
    const early = await listing.listObjectsV2({ Bucket: BUCKET });
    await listing.close();
    const late = await listing.listObjectsV2({ Bucket: BUCKET });
    // Assess
    expect(early.Contents?.map((object) => object.Key)).toEqual(KEYS);
    expect(late.Contents?.map((object) => object.Key)).toEqual(KEYS);
    expect(listing.calls()).toEqual({ mainThread: 2, listingThread: 0 });
  });

  it('runs ListObjectVersions too, signed with the client’s credentials (a canned S3 answer: fauxqs keeps no versions)', async () => {
    // Prepare: an S3 endpoint that answers one versioned listing and remembers what it was asked.
    const seen: { url?: string; authorization?: string }[] = [];
    const server = createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/xml');
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?>' +
          '<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>versioned</Name>' +
          '<IsTruncated>false</IsTruncated><MaxKeys>1000</MaxKeys>' +
          '<Version><Key>a.txt</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest>' +
          '<LastModified>2026-11-20T00:00:00.000Z</LastModified><ETag>&quot;e2&quot;</ETag><Size>2</Size></Version>' +
          '<DeleteMarker><Key>b.txt</Key><VersionId>m1</VersionId><IsLatest>true</IsLatest>' +
          '<LastModified>2026-11-21T00:00:00.000Z</LastModified></DeleteMarker></ListVersionsResult>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const s3 = new S3Client({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDTHREAD', secretAccessKey: 'secret' },
    });
    const listing = listingOffThisThread(s3);
    try {
      expect(await listing.ready).toBe(true);
      // Act
      const page = await listing.listObjectVersions({ Bucket: 'versioned' });
      // Assess
      expect(page.Versions).toEqual([
        expect.objectContaining({ Key: 'a.txt', VersionId: 'v2', IsLatest: true, ETag: '"e2"', Size: 2 }),
      ]);
      expect(page.DeleteMarkers).toEqual([expect.objectContaining({ Key: 'b.txt', IsLatest: true })]);
      expect(listing.calls()).toEqual({ mainThread: 0, listingThread: 1 });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.url).toMatch(/^\/versioned\/?\?versions/);
      expect(seen[0]?.authorization).toMatch(/Credential=AKIDTHREAD\/\d{8}\/eu-west-1\/s3\//);
    } finally {
      await listing.close();
      s3.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
