import {
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseMessageBody } from '../../src/core/envelope.js';
import { backfill, prefetching } from '../../src/tools/backfill.js';
import { inventoryRow, inventorySource, parseManifest } from '../../src/tools/inventory.js';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
afterEach(() => {
  s3.reset();
  sqs.reset();
});
afterAll(() => {
  s3.restore();
  sqs.restore();
});

const run = (dryRun = false) =>
  backfill({
    s3: new S3Client({ region: 'us-east-1' }),
    sqs: new SQSClient({ region: 'us-east-1' }),
    bucket: 'versioned',
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123/ingest',
    region: 'us-east-1',
    dryRun,
  });

describe('backfill of a versioned bucket', () => {
  it("records each key's current version with its versionId, skips keys whose newest entry is a delete marker", async () => {
    // Prepare: a.txt has two versions, b.txt is deleted (a marker on top), c.txt has one.
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(ListObjectsV2Command).resolves({ CommonPrefixes: [] });
    s3.on(ListObjectVersionsCommand).resolves({
      IsTruncated: false,
      Versions: [
        {
          Key: 'a.txt',
          VersionId: 'a2',
          IsLatest: true,
          ETag: '"ea2"',
          Size: 2,
          LastModified: new Date('2026-11-20T00:00:00Z'),
        },
        {
          Key: 'a.txt',
          VersionId: 'a1',
          IsLatest: false,
          ETag: '"ea1"',
          Size: 1,
          LastModified: new Date('2026-11-19T00:00:00Z'),
        },
        {
          Key: 'b.txt',
          VersionId: 'b1',
          IsLatest: false,
          ETag: '"eb1"',
          Size: 1,
          LastModified: new Date('2026-11-18T00:00:00Z'),
        },
        {
          Key: 'c.txt',
          VersionId: 'null',
          IsLatest: true,
          ETag: '"ec"',
          Size: 3,
          LastModified: new Date('2026-11-17T00:00:00Z'),
        },
      ],
      DeleteMarkers: [{ Key: 'b.txt', VersionId: 'b2', IsLatest: true }],
    });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    // Act
    const result = await run();
    // Assess
    expect(result).toMatchObject({ listed: 2, enqueued: 2, skippedDeleteMarkers: 1, sendCalls: 1 });
    const entries = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    const events = entries.flatMap((entry) => {
      const parsed = parseMessageBody(entry.MessageBody ?? '');
      return parsed.type === 'object-events' ? parsed.events : [];
    });
    expect(events).toEqual([
      expect.objectContaining({ key: 'a.txt', eTag: 'ea2', versionId: 'a2', size: 2 }),
      expect.objectContaining({ key: 'c.txt', eTag: 'ec', size: 3 }),
    ]);
    expect(events[1]?.versionId).toBeUndefined();
    expect(
      s3.commandCalls(ListObjectsV2Command).length + s3.commandCalls(ListObjectVersionsCommand).length,
    ).toBe(2);
  });

  it('counts without sending in a dry run', async () => {
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'x.txt', ETag: '"e"', Size: 1, LastModified: new Date() }],
    });
    const result = await run(true);
    expect(result).toMatchObject({ listed: 1, enqueued: 1, sendCalls: 0 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('asks whether the bucket is versioned beside the partition listing, not before it', async () => {
    // GetBucketVersioning answers only once the partitions are being listed (within a bound): asked
    // first and alone, it fails the backfill.
    let listed: () => void = () => undefined;
    const listing = new Promise<void>((resolve) => {
      listed = resolve;
    });
    s3.on(GetBucketVersioningCommand).callsFake(async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        listing,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('GetBucketVersioning was asked alone')), 2000);
        }),
      ]).finally(() => clearTimeout(timer));
      return {};
    });
    s3.on(ListObjectsV2Command).callsFake(async () => {
      listed();
      return { Contents: [{ Key: 'x.txt', ETag: '"e"', Size: 1, LastModified: new Date() }] };
    });
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }] });
    expect(await run()).toMatchObject({ listed: 1, enqueued: 1 });
  });

  it('still stops at a missing bucket, whichever call finds it first', async () => {
    const missing = Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
    s3.on(GetBucketVersioningCommand).rejects(missing);
    s3.on(ListObjectsV2Command).resolves({ CommonPrefixes: [] });
    await expect(run()).rejects.toThrow('The specified bucket does not exist');
  });
});

describe('prefetching', () => {
  it('keeps the order and asks for the next page while the current one is worked on', async () => {
    const asked: number[] = [];
    async function* pages() {
      for (const page of [1, 2, 3]) {
        asked.push(page);
        yield page;
      }
    }
    const seen: [number, number[]][] = [];
    for await (const page of prefetching(pages())) seen.push([page, [...asked]]);
    expect(seen).toEqual([
      [1, [1, 2]],
      [2, [1, 2, 3]],
      [3, [1, 2, 3]],
    ]);
  });
});

describe('S3 Inventory manifests and rows', () => {
  it('reads CSV reports only, and says what a manifest lacks', () => {
    expect(() => parseManifest('{"fileFormat":"Parquet"}', 's3://r/m.json')).toThrow(
      'describes a Parquet report; backfill reads CSV inventories',
    );
    expect(() => parseManifest('{"fileFormat":"CSV"}', 's3://r/m.json')).toThrow('lacks sourceBucket');
    expect(() => parseManifest('not json', 's3://r/m.json')).toThrow('is not JSON');
  });

  it('refuses a report without Size or ETag before reading or sending anything, naming what is missing', async () => {
    // Prepare: both are optional fields of an inventory configuration.
    for (const [fileSchema, missing] of [
      ['Bucket, Key, Size', 'ETag'],
      ['Bucket, Key, ETag, LastModifiedDate', 'Size'],
      ['Bucket, Key', 'Size, ETag'],
    ] as const) {
      s3.reset();
      s3.on(GetObjectCommand).resolves({
        Body: {
          transformToString: async () =>
            JSON.stringify({
              sourceBucket: 'uploads',
              destinationBucket: 'arn:aws:s3:::inv',
              fileFormat: 'CSV',
              fileSchema,
              files: [{ key: 'data/a.csv.gz', size: 1 }],
            }),
        } as never,
      });
      const source = inventorySource(
        new S3Client({ region: 'us-east-1' }),
        's3://inv/uploads/m/manifest.json',
        'uploads',
        { listCalls: 0 } as never,
        1000,
      );
      // Act / Assess
      await expect(source.partitions()).rejects.toThrow(
        `lacks the inventory field${missing.includes(',') ? 's' : ''} ${missing}`,
      );
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
      expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    }
  });

  it('keeps current versions, with decoded keys, by the manifest column order', () => {
    const columns = ['Bucket', 'Key', 'Size', 'ETag', 'IsLatest', 'IsDeleteMarker', 'VersionId'];
    expect(inventoryRow(['b', 'a%20b%2Bc.txt', '7', 'e1', 'true', 'false', 'v9'], columns)).toMatchObject({
      key: 'a b+c.txt',
      size: 7,
      eTag: 'e1',
      versionId: 'v9',
    });
    expect(inventoryRow(['b', 'k', '7', 'e1', 'false', 'false', 'v8'], columns)).toBe('not-current');
    expect(inventoryRow(['b', 'k', '', '', 'true', 'true', 'v7'], columns)).toBe('delete-marker');
  });
});
