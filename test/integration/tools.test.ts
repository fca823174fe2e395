import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallCounter, difference } from '../../loadtest/aws-call-counter.js';
import { encodeS3EventKey } from '../../src/core/s3-key.js';
import { buildS3Notification } from '../../src/core/s3-notification.js';
import { SequencerClock } from '../../src/local/notification.js';
import type { LocalStack } from '../../src/local/stack.js';
import { backfill } from '../../src/tools/backfill.js';
import { parseFilters } from '../../src/tools/dlq-messages.js';
import {
  discardMessages,
  moveMessages,
  peekMessages,
  queueStatuses,
} from '../../src/tools/dlq-operations.js';
import { type ToolTarget, targetFromStackFile } from '../../src/tools/target.js';
import { UploadQueries } from '../../src/tools/upload-queries.js';
import { drained, queueDepth, startTestStack, uploadLogReader } from '../support/pipeline.js';

let stack: LocalStack;
let target: ToolTarget;
let log: ReturnType<typeof uploadLogReader>;
const sequencers = new SequencerClock();

/** A notification for an object this test never uploads through the bridge. */
function notification(key: string, eTag: string, size = 5): string {
  return JSON.stringify(
    buildS3Notification({
      eventName: 'ObjectCreated:Put',
      bucket: 'uploads-private',
      key,
      eTag,
      size,
      eventTime: new Date(),
      sequencer: sequencers.next(),
      principalId: 'AWS:test',
      sourceIp: '127.0.0.1',
      requestId: 'TEST',
      region: 'us-east-1',
    }),
  );
}

/** Puts an object in the unwatched bucket and returns its eTag. */
async function seedObject(key: string, body: string): Promise<string> {
  const { ETag } = await stack.clients.s3.send(
    new PutObjectCommand({ Bucket: 'uploads-private', Key: key, Body: body }),
  );
  return ETag?.replace(/"/g, '') ?? '';
}

async function toDlq(body: string): Promise<void> {
  await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: body }));
}

beforeAll(async () => {
  stack = await startTestStack({ maxReceiveCount: 3 });
  target = targetFromStackFile(stack.description, 'test');
  log = uploadLogReader(stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe('redrive', () => {
  it('redrives a valid event from the DLQ, which the worker then ingests', async () => {
    // Prepare
    const eTag = await seedObject('tools/redriven.txt', 'hello');
    await toDlq(notification('tools/redriven.txt', eTag));
    expect((await queueStatuses(stack.clients.sqs, target)).dlq.visible).toBe(1);
    // Act
    const result = await moveMessages(stack.clients.sqs, { from: target.dlqUrl, to: target.ingestQueueUrl });
    await drained(stack);
    // Assess
    expect(result).toMatchObject({ moved: 1, skipped: 0 });
    expect(await log.rowsOf('tools/redriven.txt', 'uploads-private')).toContainEqual(
      expect.objectContaining({ status: 'STORED', eTag }),
    );
    expect(await queueDepth(stack.clients.sqs, target.dlqUrl)).toBe(0);
  });

  it('moves only what the filter matches, and a dry run moves nothing', async () => {
    const eTag = await seedObject('tools/keep-me.txt', 'x');
    await toDlq(notification('tools/keep-me.txt', eTag));
    await toDlq('{"this is": "poison"}');
    const dry = await moveMessages(stack.clients.sqs, {
      from: target.dlqUrl,
      to: target.ingestQueueUrl,
      filter: parseFilters(['readable']),
      dryRun: true,
    });
    expect(dry).toMatchObject({ moved: 1, skipped: 1 });
    expect(await queueDepth(stack.clients.sqs, target.dlqUrl)).toBe(2);

    const moved = await moveMessages(stack.clients.sqs, {
      from: target.dlqUrl,
      to: target.ingestQueueUrl,
      filter: parseFilters(['key-prefix=tools/keep']),
    });
    await drained(stack);
    expect(moved).toMatchObject({ moved: 1, skipped: 1 });
    const left = await peekMessages(stack.clients.sqs, target.dlqUrl, 10);
    expect(left.map((m) => m.body)).toEqual(['{"this is": "poison"}']);
    expect(left[0]?.problem).toContain('not an S3 notification');
  });

  it('discard writes each message to its file before deleting it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 's3-ingest-discard-')), 'discarded.ndjson');
    const result = await discardMessages(stack.clients.sqs, {
      url: target.dlqUrl,
      filter: parseFilters(['malformed']),
      file,
    });
    expect(result.moved).toBe(1);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ body: '{"this is": "poison"}', problem: expect.any(String) }),
    ]);
    expect(await queueDepth(stack.clients.sqs, target.dlqUrl)).toBe(0);
  });

  it('peeks without consuming: the messages are still there afterwards', async () => {
    await toDlq('{"peek": 1}');
    const first = await peekMessages(stack.clients.sqs, target.dlqUrl, 5);
    const second = await peekMessages(stack.clients.sqs, target.dlqUrl, 5);
    expect(first.map((m) => m.messageId)).toEqual(second.map((m) => m.messageId));
    expect(second[0]?.receiveCount).toBeGreaterThan(first[0]?.receiveCount ?? 0);
    await discardMessages(stack.clients.sqs, {
      url: target.dlqUrl,
      filter: parseFilters(['contains=peek']),
      file: join(mkdtempSync(join(tmpdir(), 's3-ingest-discard-')), 'x.ndjson'),
    });
  });
});

describe('uploads queries', () => {
  it('returns exactly the rows of a bucket and time range, by status, and pages through them', async () => {
    // Prepare: three uploads, one rejected.
    const from = new Date(Date.now() - 1000);
    for (const key of ['q/a.txt', 'q/b.txt', 'q/c.exe']) {
      await stack.clients.s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: key }));
    }
    await drained(stack);
    const queries = new UploadQueries(stack.clients.dynamodb, target.uploadLogTable);
    const to = new Date(Date.now() + 1000);
    // Act
    const all = await queries.byBucket({ bucket: 'uploads', from, to, shardCount: 8, limit: 100 });
    const rejected = await queries.byBucket({
      bucket: 'uploads',
      from,
      to,
      shardCount: 8,
      limit: 100,
      status: 'REJECTED',
    });
    const page1 = await queries.byBucket({ bucket: 'uploads', from, to, shardCount: 8, limit: 2 });
    const page2 = await queries.byBucket({
      bucket: 'uploads',
      from,
      to,
      shardCount: 8,
      limit: 2,
      ...(page1.next && { after: page1.next }),
    });
    const empty = await queries.byBucket({
      bucket: 'uploads',
      from: new Date(0),
      to: new Date(1000),
      shardCount: 8,
      limit: 10,
    });
    // Assess
    expect(all.rows.map((r) => r.key)).toEqual(['q/a.txt', 'q/b.txt', 'q/c.exe']);
    expect(all.next).toBeUndefined();
    expect(rejected.rows.map((r) => r.key)).toEqual(['q/c.exe']);
    expect([...page1.rows, ...page2.rows].map((r) => r.key)).toEqual(['q/a.txt', 'q/b.txt', 'q/c.exe']);
    expect(page2.next).toBeUndefined();
    expect(empty.rows).toEqual([]);
  });

  it("returns an object's history and current state", async () => {
    for (const body of ['one', 'two']) {
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket: 'uploads', Key: 'q/history.txt', Body: body }),
      );
      await drained(stack);
    }
    const { uploads, state } = await new UploadQueries(
      stack.clients.dynamodb,
      target.uploadLogTable,
    ).byObject('uploads', 'q/history.txt');
    expect(uploads).toHaveLength(2);
    expect(state).toMatchObject({ status: 'PRESENT', eTag: uploads[1]?.eTag });
  });

  it('says clearly when the table does not exist', async () => {
    await expect(
      new UploadQueries(stack.clients.dynamodb, 'no-such-table').byObject('b', 'k'),
    ).rejects.toThrow('table no-such-table not found');
  });
});

describe('backfill', () => {
  it('ingests objects that existed before, from the listing alone, and a second run adds no row', async () => {
    // Prepare: objects the worker never heard of.
    const keys = ['old/1.txt', 'old/2.txt', 'old/3.txt'];
    for (const key of keys) await seedObject(key, `old ${key}`);
    const calls = new AwsCallCounter();
    calls.attach(stack.clients.s3, 'S3');
    calls.attach(stack.clients.sqs, 'SQS');
    const run = () =>
      backfill({
        s3: stack.clients.s3,
        sqs: stack.clients.sqs,
        bucket: 'uploads-private',
        prefix: 'old/',
        queueUrl: target.ingestQueueUrl,
        region: 'us-east-1',
      });
    // Act
    const before = calls.snapshot();
    const first = await run();
    const during = difference(calls.snapshot(), before);
    await drained(stack);
    const duplicatesBefore = stack.metrics.totals().DuplicatesSkipped;
    const second = await run();
    await drained(stack);
    // Assess
    expect(first).toMatchObject({ listed: 3, enqueued: 3, sendCalls: 1 });
    expect(second).toMatchObject({ listed: 3, enqueued: 3 });
    expect(during['S3.HeadObject']).toBeUndefined();
    expect(during['SQS.SendMessageBatch']).toBe(1);
    for (const key of keys) {
      expect((await log.rowsOf(key, 'uploads-private')).filter((r) => r.sk !== 'STATE')).toHaveLength(1);
      expect((await log.rowsOf(key, 'uploads-private')).find((r) => r.sk === 'STATE')).toMatchObject({
        status: 'PRESENT',
      });
    }
    expect(stack.metrics.totals().DuplicatesSkipped - duplicatesBefore).toBe(3);
  });

  it('lists "/" partitions in parallel and resumes after a stop without re-sending more than a page', async () => {
    // Prepare: 60 objects over three prefixes and the root of the prefix.
    const keys = ['a', 'b', 'c', ''].flatMap((part) =>
      Array.from(
        { length: 15 },
        (_, i) => `resume/${part ? `${part}/` : ''}${String(i).padStart(2, '0')}.txt`,
      ),
    );
    for (const key of keys) await seedObject(key, key);
    const checkpoint = join(mkdtempSync(join(tmpdir(), 's3-ingest-backfill-')), 'checkpoint.json');
    const options = {
      s3: stack.clients.s3,
      sqs: stack.clients.sqs,
      bucket: 'uploads-private',
      prefix: 'resume/',
      queueUrl: target.ingestQueueUrl,
      region: 'us-east-1',
      concurrency: 2,
      pageSize: 5,
    };
    // Act: stop after 20 notifications, then resume.
    const stop = new AbortController();
    await expect(
      backfill({
        ...options,
        checkpoint: { path: checkpoint, resume: false },
        signal: stop.signal,
        onProgress: (p) => {
          if (p.enqueued >= 20) stop.abort(new Error('stopped'));
        },
      }),
    ).rejects.toThrow('stopped');
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'));
    const resumed = await backfill({ ...options, checkpoint: { path: checkpoint, resume: true } });
    await drained(stack);
    // Assess
    expect(Object.keys(saved.partitions).sort()).toEqual(['resume/', 'resume/a/', 'resume/b/', 'resume/c/']);
    expect(resumed.partitions).toBe(4);
    // Each partition re-sends at most the page it was on when stopped.
    expect(resumed.enqueued).toBeLessThanOrEqual(keys.length - 20 + 4 * 5);
    expect(resumed.enqueued).toBeGreaterThanOrEqual(keys.length - 20 - 4 * 5);
    for (const key of keys) {
      expect((await log.rowsOf(key, 'uploads-private')).filter((r) => r.sk !== 'STATE')).toHaveLength(1);
    }
  }, 60_000);

  it('records every key of a mixed-case bucket listed in small pages, listing in a worker thread', async () => {
    // Prepare: keys whose S3 order (upper case first) differs from a locale's; the embedded S3
    // once paged through them in locale order and lost the upper-case ones.
    const keys = ['case/a1.txt', 'case/B2.txt', 'case/c3.txt', 'case/Z4.txt', 'case/_5.txt', 'case/É6.txt'];
    for (const key of keys) await seedObject(key, key);
    // Act
    const result = await backfill({
      s3: stack.clients.s3,
      sqs: stack.clients.sqs,
      bucket: 'uploads-private',
      prefix: 'case/',
      queueUrl: target.ingestQueueUrl,
      region: 'us-east-1',
      pageSize: 2,
      listingThread: true,
    });
    await drained(stack);
    // Assess
    expect(result).toMatchObject({ listed: keys.length, enqueued: keys.length, partitions: 1 });
    for (const key of keys) {
      expect(
        (await log.rowsOf(key, 'uploads-private')).filter((r) => r.sk !== 'STATE'),
        key,
      ).toHaveLength(1);
    }
  });

  it('reads an S3 Inventory report (manifest and gzipped CSV): current versions only, keys decoded', async () => {
    // Prepare: objects, and a CSV inventory of them as S3 writes one (keys URL-encoded, every
    // version listed, a delete marker).
    const present = ['inv/a file.txt', 'inv/b+c.txt'];
    const eTags = await Promise.all(present.map((key) => seedObject(key, `inventory ${key}`)));
    await stack.clients.s3.send(new CreateBucketCommand({ Bucket: 'inventory-reports' }));
    const row = (key: string, eTag: string, latest: boolean, marker: boolean) =>
      [
        'uploads-private',
        encodeS3EventKey(key),
        '',
        String(latest),
        String(marker),
        '16',
        '2026-11-20T00:00:00.000Z',
        eTag,
      ]
        .map((cell) => `"${cell}"`)
        .join(',');
    const csv = [
      row('inv/a file.txt', eTags[0] ?? '', true, false),
      row('inv/a file.txt', 'old-version-etag', false, false),
      row('inv/b+c.txt', eTags[1] ?? '', true, false),
      row('inv/deleted.txt', '', true, true),
    ].join('\n');
    const fileKey = 'inventory/uploads-private/all/data/part-1.csv.gz';
    const gzipped = gzipSync(`${csv}\n`);
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'inventory-reports', Key: fileKey, Body: gzipped }),
    );
    const manifest = {
      sourceBucket: 'uploads-private',
      destinationBucket: 'arn:aws:s3:::inventory-reports',
      version: '2016-11-30',
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag',
      files: [{ key: fileKey, size: gzipped.length, MD5checksum: 'x' }],
    };
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: 'inventory-reports',
        Key: 'inventory/uploads-private/all/2026-11-29T00-00Z/manifest.json',
        Body: JSON.stringify(manifest),
      }),
    );
    // Act
    const result = await backfill({
      s3: stack.clients.s3,
      sqs: stack.clients.sqs,
      bucket: 'uploads-private',
      queueUrl: target.ingestQueueUrl,
      region: 'us-east-1',
      inventory: 's3://inventory-reports/inventory/uploads-private/all/2026-11-29T00-00Z/manifest.json',
    });
    await drained(stack);
    // Assess
    expect(result).toMatchObject({ partitions: 1, listed: 2, enqueued: 2, skippedDeleteMarkers: 1 });
    // The manifest sizes its files, so the backfill knows how far it is (the progress line's ETA).
    expect(result).toMatchObject({ bytesTotal: gzipped.length, bytesRead: gzipped.length });
    for (const [index, key] of present.entries()) {
      expect((await log.rowsOf(key, 'uploads-private')).filter((r) => r.sk !== 'STATE')).toEqual([
        expect.objectContaining({ status: 'STORED', eTag: eTags[index] }),
      ]);
    }
    await expect(
      backfill({
        s3: stack.clients.s3,
        sqs: stack.clients.sqs,
        bucket: 'uploads',
        queueUrl: target.ingestQueueUrl,
        region: 'us-east-1',
        inventory: 's3://inventory-reports/inventory/uploads-private/all/2026-11-29T00-00Z/manifest.json',
      }),
    ).rejects.toThrow('is the inventory of uploads-private, not of uploads');
  });
});
