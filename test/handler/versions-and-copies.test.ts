import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEventBridgeS3Event } from '../../src/core/s3-eventbridge-event.js';
import {
  lambdaContext,
  type S3RecordOptions,
  s3Notification,
  s3Record,
  sqsEvent,
  sqsRecord,
} from '../support/factories.js';
import { handlerHarness } from '../support/handler-harness.js';
import { s3Error } from '../support/in-memory-s3.js';
import { buildWorkerHandler, failedIds } from '../support/worker.js';

// Proves the behaviours a deployed stack meets and the embedded S3 cannot show: versioned
// buckets (delete markers, noncurrent versions, suspended versioning) and the copy destination's
// rule and failure modes, on an in-memory S3 that models them.

const { fake, output } = handlerHarness();
const s3 = fake.s3Memory;
const COPY = { COPY_DESTINATION_BUCKET: 'private' };
const GiB = 1024 ** 3;

async function run(
  records: SQSRecord | SQSRecord[],
  env: Record<string, string> = COPY,
  remainingMillis?: number,
) {
  const batch = Array.isArray(records) ? records : [records];
  return buildWorkerHandler(env)(sqsEvent(...batch), lambdaContext(remainingMillis));
}
/** How the bucket's events arrive: its notifications, or EventBridge (the versioned cases run both). */
let delivery: 'notifications' | 'eventbridge' = 'notifications';
const message = (options: S3RecordOptions, overrides: Partial<SQSRecord> = {}) =>
  sqsRecord(
    delivery === 'notifications'
      ? s3Notification(s3Record({ bucket: 'uploads', ...options }))
      : buildEventBridgeS3Event(
          {
            eventName: options.eventName ?? 'ObjectCreated:Put',
            bucket: options.bucket ?? 'uploads',
            key: options.key ?? 'photos/cat.jpg',
            ...(options.eTag !== undefined && { eTag: options.eTag }),
            ...(options.size !== undefined && { size: options.size }),
            ...(options.versionId !== undefined && { versionId: options.versionId }),
            eventTime: new Date(options.eventTime ?? '2026-11-24T10:00:00.000Z'),
            sequencer: options.sequencer ?? '0055AED6DCD90281E5',
            principalId: options.principalId ?? '123456789012',
            sourceIp: options.sourceIp ?? '203.0.113.7',
            requestId: 'C3D13FE58DE4C810',
            region: 'us-east-1',
          },
          '123456789012',
          'b7a2c1d0-0000-4000-8000-000000000000',
        ),
    overrides,
  );
const created = (key: string, eTag: string, sequencer: string, extra: S3RecordOptions = {}) =>
  message({ key, eTag, sequencer, size: 100, ...extra });
const removed = (key: string, sequencer: string, extra: S3RecordOptions = {}) =>
  message({ key, sequencer, eventName: 'ObjectRemoved:Delete', ...extra });
/** The copy of the key ending in `suffix` fails once, as a dropped connection would. */
const copyFailsOnce = (suffix: string) =>
  fake.injectFault(
    CopyObjectCommand,
    (input) => String(input.Key).endsWith(suffix),
    new Error('socket hang up'),
    1,
  );
/** Part `number` of a multipart copy fails once. */
const partCopyFailsOnce = (number: number) =>
  fake.injectFault(
    UploadPartCopyCommand,
    (input) => input.PartNumber === number,
    new Error('socket hang up'),
    1,
  );
const expectAllSucceeded = (response: SQSBatchResponse) => expect(response.batchItemFailures).toEqual([]);

describe.each(['notifications', 'eventbridge'] as const)('versioned buckets, heard by %s', (heardBy) => {
  beforeEach(() => {
    delivery = heardBy;
    s3.setVersioning('uploads', 'Enabled');
  });
  afterEach(() => {
    delivery = 'notifications';
  });

  it('1a. deleting a noncurrent version leaves the object PRESENT at its current version', async () => {
    // Prepare
    const v1 = s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 1 });
    const v2 = s3.putObject('uploads', 'doc.txt', { eTag: 'B', size: 2 });
    await run([
      created('doc.txt', 'A', '01', { versionId: v1 }),
      created('doc.txt', 'B', '02', { versionId: v2 }),
    ]);
    s3.deleteObject('uploads', 'doc.txt', v1);
    // Act
    expectAllSucceeded(await run(removed('doc.txt', '03', { versionId: v1 })));
    // Assess
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({
      status: 'PRESENT',
      eTag: 'B',
      versionId: v2,
      size: 2,
    });
    expect(output.metricTotal('ObjectsRemoved')).toBe(0);
  });

  it('1b. deleting the current version makes the older version current, and the copy follows it', async () => {
    const v1 = s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 1 });
    await run(created('doc.txt', 'A', '01', { versionId: v1 }));
    const v2 = s3.putObject('uploads', 'doc.txt', { eTag: 'B', size: 2 });
    await run(created('doc.txt', 'B', '02', { versionId: v2 }));
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('B');
    s3.deleteObject('uploads', 'doc.txt', v2);
    expectAllSucceeded(await run(removed('doc.txt', '03', { versionId: v2 })));
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({ status: 'PRESENT', eTag: 'A', versionId: v1 });
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('A');
  });

  it('1c. a delete marker makes the object DELETED without asking S3; removing the marker restores it', async () => {
    const v1 = s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 1 });
    await run(created('doc.txt', 'A', '01', { versionId: v1 }));
    const marker = s3.deleteObject('uploads', 'doc.txt');
    const heads = () => fake.s3.commandCalls(HeadObjectCommand).length;
    const headsBefore = heads();
    await run(
      removed('doc.txt', '02', {
        versionId: marker.versionId,
        eventName: 'ObjectRemoved:DeleteMarkerCreated',
      }),
    );
    expect(heads()).toBe(headsBefore);
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({ status: 'DELETED' });
    expect(output.metricTotal('ObjectsRemoved')).toBe(1);

    s3.deleteObject('uploads', 'doc.txt', marker.versionId);
    expectAllSucceeded(await run(removed('doc.txt', '03', { versionId: marker.versionId })));
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({ status: 'PRESENT', eTag: 'A', versionId: v1 });
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('A');
  });

  it('1d. a removal that uncovers an older version retries its copy on redelivery', async () => {
    const v1 = s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 1 });
    await run(created('doc.txt', 'A', '01', { versionId: v1 }));
    const v2 = s3.putObject('uploads', 'doc.txt', { eTag: 'B', size: 2 });
    await run(created('doc.txt', 'B', '02', { versionId: v2 }));
    s3.deleteObject('uploads', 'doc.txt', v2);
    fake.injectFault(CopyObjectCommand, () => true, new Error('socket hang up'), 1);
    const removal = removed('doc.txt', '03', { versionId: v2 });
    // First delivery: the state moves to A, the copy fails, the record goes back to the queue.
    expect(failedIds(await run(removal))).toEqual([removal.messageId]);
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('B');
    // Redelivery: the state is unchanged, but the copy is still owed.
    expectAllSucceeded(await run(removal));
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('A');
  });

  it('2. a late event for an old version never overwrites the newer copy', async () => {
    const v1 = s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 1 });
    const v2 = s3.putObject('uploads', 'doc.txt', { eTag: 'B', size: 2 });
    await run(created('doc.txt', 'B', '02', { versionId: v2 }));
    // Act: v1's notification arrives late.
    expectAllSucceeded(await run(created('doc.txt', 'A', '01', { versionId: v1 })));
    // Assess
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('B');
    const rowA = fake.uploadRows().find((row) => row.eTag === 'A');
    expect(rowA).toMatchObject({ status: 'STORED', versionId: v1 });
    expect(rowA?.reason).toMatch(/^not copied: no longer the current version/);
    expect(rowA?.copiedTo).toBeUndefined();
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({ eTag: 'B', versionId: v2 });
  });

  it('3. versionId "null" (versioning suspended) is no version: an overwrite is still detected', async () => {
    s3.setVersioning('uploads', 'Suspended');
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 1 });
    s3.putObject('uploads', 'doc.txt', { eTag: 'B', size: 2, contentType: 'text/b' });
    expectAllSucceeded(await run(created('doc.txt', 'A', '01', { versionId: 'null' })));
    const [row] = fake.uploadRows();
    expect(row).toMatchObject({ sk: 'A', status: 'GONE' });
    expect(row?.versionId).toBeUndefined();
    // HeadObject asked for the current object, not for a version called "null".
    expect(fake.s3.commandCalls(HeadObjectCommand)[0]?.args[0].input.VersionId).toBeUndefined();
  });
});

describe('the copy destination holds the source’s current content', () => {
  it('4. content A, then B, then A again within the idempotency TTL leaves A in the copy', async () => {
    for (const [eTag, sequencer] of [
      ['A', '01'],
      ['B', '02'],
      ['A', '03'],
    ] as const) {
      s3.putObject('uploads', 'doc.txt', { eTag, size: 100 });
      expectAllSucceeded(await run(created('doc.txt', eTag, sequencer)));
    }
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('A');
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({
      eTag: 'A',
      copiedTo: 's3://private/uploads/doc.txt',
    });
    // A duplicate of the newest event finds the copy up to date and copies nothing.
    const copies = fake.s3.commandCalls(CopyObjectCommand).length;
    expectAllSucceeded(await run(created('doc.txt', 'A', '03')));
    expect(fake.s3.commandCalls(CopyObjectCommand)).toHaveLength(copies);
  });

  it('5. content recorded GONE (processed after a delete) is copied once it is uploaded again', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    s3.deleteObject('uploads', 'doc.txt');
    await run(created('doc.txt', 'A', '01'));
    await run(removed('doc.txt', '02'));
    expect(fake.uploadRows()[0]).toMatchObject({ status: 'GONE' });
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    expectAllSucceeded(await run(created('doc.txt', 'A', '03')));
    expect(fake.copies.get('private/uploads/doc.txt')?.eTag).toBe('A');
  });

  it('5b. a re-upload of rejected content is not copied by the catch-up either', async () => {
    const env = { ...COPY, BLOCKED_EXTENSIONS: 'exe' };
    s3.putObject('uploads', 'setup.exe', { eTag: 'A', size: 100 });
    await run(created('setup.exe', 'A', '01'), env);
    await run(created('setup.exe', 'A', '02'), env);
    expect(fake.copies.size).toBe(0);
  });

  it('6. a missing destination bucket fails the record on every receive, so the DLQ and its alarm show it', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    s3.missingBuckets.add('private');
    const record = created('doc.txt', 'A', '01');
    for (let receive = 1; receive <= 3; receive += 1) {
      expect(failedIds(await run(record))).toEqual([record.messageId]);
    }
    expect(fake.uploadRows()).toHaveLength(0);
    expect(output.metricTotal('RecordsFailed')).toBe(3);
    expect(output.metricTotal('ObjectsGone')).toBe(0);
  });

  it('7a. an object over 5 GiB is copied with a multipart copy, part by part', async () => {
    const size = 6 * GiB;
    s3.putObject('uploads', 'video.mov', { eTag: 'big-1', size });
    expectAllSucceeded(await run(created('video.mov', 'big-1', '01', { size })));
    expect(fake.s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    const parts = fake.s3.commandCalls(UploadPartCopyCommand).map((call) => call.args[0].input);
    expect(parts).toHaveLength(12);
    expect(parts.every((part) => part.CopySourceIfMatch === '"big-1"')).toBe(true);
    expect(fake.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
    expect(fake.copies.get('private/uploads/video.mov')).toMatchObject({ eTag: 'big-1', size });
    expect(fake.uploadRows()[0]).toMatchObject({
      status: 'STORED',
      copiedTo: 's3://private/uploads/video.mov',
    });
  });

  it('7b. a failed part aborts the multipart upload and fails the record', async () => {
    const size = 6 * GiB;
    s3.putObject('uploads', 'video.mov', { eTag: 'big-1', size });
    partCopyFailsOnce(3);
    const record = created('video.mov', 'big-1', '01', { size });
    expect(failedIds(await run(record))).toEqual([record.messageId]);
    expect(fake.s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.multipartUploads.size).toBe(0);
    expect(fake.uploadRows()).toHaveLength(0);
  });

  it('7d. a multipart copy keeps what CopyObject keeps: content type, encoding, disposition, cache control, metadata', async () => {
    const size = 6 * GiB;
    const headers = {
      contentType: 'video/quicktime',
      contentEncoding: 'identity',
      contentDisposition: 'attachment; filename="video.mov"',
      contentLanguage: 'en',
      cacheControl: 'max-age=60',
      metadata: { team: 'media', checksum: 'abc' },
    };
    s3.putObject('uploads', 'video.mov', { eTag: 'big-1', size, ...headers });
    s3.putObject('uploads', 'small.mov', { eTag: 'small-1', size: 10, ...headers });
    expectAllSucceeded(
      await run([
        created('video.mov', 'big-1', '01', { size }),
        created('small.mov', 'small-1', '02', { size: 10 }),
      ]),
    );
    // Both paths give the destination the same headers.
    expect(fake.copies.get('private/uploads/video.mov')).toEqual({ eTag: 'big-1', size, ...headers });
    expect(fake.copies.get('private/uploads/small.mov')).toMatchObject(headers);
  });

  it('7e. parts S3 finishes after the copy deadline leave nothing open: the abort waits for them', async () => {
    const size = 6 * GiB;
    s3.putObject('uploads', 'video.mov', { eTag: 'big-1', size });
    // Each part takes 300 ms, and S3 finishes what it started even after the copy's deadline passed.
    const copying: Promise<unknown>[] = [];
    fake.s3.on(UploadPartCopyCommand).callsFake((input) => {
      const upload = s3.multipartUploads.get(String(input.UploadId));
      if (!upload) throw new Error('no such upload');
      const part = new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
        s3.uploadPartCopyStartedBefore(upload, input),
      );
      copying.push(part);
      return part;
    });
    // 250 ms left: the copy has 200 ms, so its deadline passes with eight parts in flight.
    expectAllSucceeded(await run(created('video.mov', 'big-1', '01', { size }), COPY, 250));
    expect(fake.uploadRows()[0]?.reason).toMatch(/did not finish within the function timeout/);
    // Once S3 has finished every part it started, nothing of the upload is left.
    await Promise.allSettled(copying);
    expect(copying.length).toBeGreaterThan(0);
    expect(s3.multipartUploads.size).toBe(0);
  });

  it('7f. an upload a failed abort left open is aborted before the redelivery opens another', async () => {
    const size = 6 * GiB;
    s3.putObject('uploads', 'video.mov', { eTag: 'big-1', size });
    partCopyFailsOnce(3);
    fake.injectFault(AbortMultipartUploadCommand, () => true, new Error('socket hang up'), 1);
    const record = created('video.mov', 'big-1', '01', { size });
    expect(failedIds(await run(record))).toEqual([record.messageId]);
    expect(s3.multipartUploads.size).toBe(1);
    // Act: SQS delivers the record again.
    expectAllSucceeded(await run(record));
    // Assess: one copy, nothing left open, never two uploads open for the key.
    expect(s3.multipartUploads.size).toBe(0);
    expect(s3.mostOpenForOneKey).toBe(1);
    expect(fake.copies.get('private/uploads/video.mov')).toMatchObject({ eTag: 'big-1', size });
  });

  it('7g. an object over 5 GiB deleted or overwritten before its copy is recorded as changed, not retried', async () => {
    const size = 6 * GiB;
    // The event names big-1; S3 now holds other content, then nothing.
    s3.putObject('uploads', 'video.mov', { eTag: 'big-2', size });
    const overwritten = created('video.mov', 'big-1', '01', { size });
    expectAllSucceeded(await run(overwritten));
    expect(fake.s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(fake.uploadRows()[0]?.status).toBe('GONE');
    // Deleted between the worker's HeadObject and the copy's: a HEAD's 404 has no error code.
    s3.putObject('uploads', 'clip.mov', { eTag: 'big-3', size });
    fake.injectFault(HeadObjectCommand, (input) => input.IfMatch !== undefined, s3Error('NotFound', 404), 1);
    expectAllSucceeded(await run(created('clip.mov', 'big-3', '02', { size })));
    expect(fake.s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(fake.uploadRows().find((row) => row.key === 'clip.mov')?.status).toBe('GONE');
  });

  it('7c. a copy that cannot finish in the function’s time still writes the row, with a reason and a metric', async () => {
    const size = 6 * GiB;
    s3.putObject('uploads', 'video.mov', { eTag: 'big-1', size });
    // Every part copy hangs: only the deadline can end the copy.
    fake.s3.on(UploadPartCopyCommand).callsFake(() => new Promise(() => undefined));
    // 1 s left: the worker keeps a fifth of it to write rows, so the copy has 0.8 s.
    const response = await run(created('video.mov', 'big-1', '01', { size }), COPY, 1_000);
    expectAllSucceeded(response);
    expect(fake.uploadRows()[0]).toMatchObject({
      status: 'STORED',
      reason: 'not copied: the copy did not finish within the function timeout (see README)',
    });
    expect(fake.uploadRows()[0]?.copiedTo).toBeUndefined();
    expect(fake.s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(output.metricTotal('CopiesSkipped')).toBe(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
  });

  it('8. a source key near 1,024 bytes gets a destination key that fits, recorded in copiedTo', async () => {
    // 1,020 bytes: a valid S3 key, but "uploads/" + it is 1,028 bytes, over S3's limit.
    const key = `${'k'.repeat(1016)}.txt`;
    s3.putObject('uploads', key, { eTag: 'A', size: 100 });
    expectAllSucceeded(await run(created(key, 'A', '01')));
    const [destination] = [...fake.copies.keys()];
    expect(Buffer.byteLength(destination ?? '', 'utf8') - 'private/'.length).toBeLessThanOrEqual(1024);
    expect(fake.uploadRows()[0]).toMatchObject({ status: 'STORED', copiedTo: `s3://${destination}` });
  });

  it('9. an object in an archive storage class is recorded without the copy, and says why', async () => {
    s3.putObject('uploads', 'old.tar', { eTag: 'A', size: 100, storageClass: 'DEEP_ARCHIVE' });
    expectAllSucceeded(await run(created('old.tar', 'A', '01')));
    expect(fake.uploadRows()[0]).toMatchObject({
      status: 'STORED',
      reason: 'not copied: the object is in an archive storage class; restore it, then copy it (see README)',
    });
    expect(fake.copies.size).toBe(0);
    expect(output.metricTotal('CopiesSkipped')).toBe(1);
  });
});

describe('rows and metrics', () => {
  it('10. a GONE row for content A carries none of content B’s content type or metadata', async () => {
    s3.putObject('uploads', 'doc.txt', {
      eTag: 'B',
      size: 2,
      contentType: 'text/b',
      metadata: { owner: 'b' },
    });
    await run(created('doc.txt', 'A', '01'), {});
    const [row] = fake.uploadRows();
    expect(row).toMatchObject({ eTag: 'A', status: 'GONE' });
    expect(row?.contentType).toBeUndefined();
    expect(row?.metadata).toBeUndefined();
  });

  it('11a. the same removal delivered twice counts ObjectsRemoved once', async () => {
    await run(removed('doc.txt', '05'), {});
    await run(removed('doc.txt', '05'), {});
    expect(output.metricTotal('ObjectsRemoved')).toBe(1);
  });

  it('11b. a retried multi-record message counts only the record that failed the first time', async () => {
    for (const name of ['a', 'b', 'c']) s3.putObject('uploads', `${name}.txt`, { eTag: name, size: 1 });
    const body = s3Notification(
      s3Record({ key: 'a.txt', eTag: 'a', sequencer: '01' }),
      s3Record({ key: 'b.txt', eTag: 'b', sequencer: '02' }),
      s3Record({ key: 'c.txt', eTag: 'c', sequencer: '03' }),
    );
    copyFailsOnce('c.txt');
    const first = sqsRecord(body);
    expect(failedIds(await run(first))).toEqual([first.messageId]);
    const retry = { ...first, attributes: { ...first.attributes, ApproximateReceiveCount: '2' } };
    expectAllSucceeded(await run(retry));
    expect(output.metricTotal('ObjectsIngested')).toBe(3);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(0);
    expect(output.metricValues('IngestLatency')).toHaveLength(3);
  });

  it('12. a row written before the idempotency record could be completed is counted once, as ingested', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    // The completion (UpdateItem on the idempotency table) is throttled once.
    fake.injectFault(
      UpdateItemCommand,
      () => true,
      Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' }),
      1,
    );
    const first = created('doc.txt', 'A', '01');
    expect(failedIds(await run(first, {}))).toEqual([first.messageId]);
    // The invocation ended, so its in-progress record expired before SQS delivers the message again.
    for (const record of fake.idempotencyTable.values()) record.in_progress_expiration = 0;
    const retry = { ...first, attributes: { ...first.attributes, ApproximateReceiveCount: '2' } };
    expectAllSucceeded(await run(retry, {}));
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(0);
    expect(output.metricValues('IngestLatency')).toHaveLength(1);
  });
});

describe('an execution environment that dies before its metrics are published', () => {
  // Lambda keeps what a killed environment wrote to stdout, but it never wrote this invocation's
  // EMF: the invocation publishes at its end. Dropping the captured lines plays that.
  const dies = () => output.lines.splice(0);
  /** One upload row, counted as ingested once, with one latency sample, and no duplicate. */
  const expectOneRowCountedOnce = () => {
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricValues('IngestLatency')).toHaveLength(1);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(0);
  };
  const receivedAgain = (record: SQSRecord) => ({
    ...record,
    attributes: { ...record.attributes, ApproximateReceiveCount: '2' },
  });

  it('13a. counts what the dead invocation recorded when SQS delivers its message again', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    const first = created('doc.txt', 'A', '01');
    expectAllSucceeded(await run(first));
    dies();
    expectAllSucceeded(await run(receivedAgain(first)));
    expectOneRowCountedOnce();
  });

  it('13b. still counts a duplicate from another message as a duplicate, also when received again', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    await run(created('doc.txt', 'A', '01'));
    const twin = created('doc.txt', 'A', '01');
    expectAllSucceeded(await run(receivedAgain(twin)));
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(1);
  });

  it('13c. a row written by a message whose idempotency record a twin completed is counted for its writer', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    // The writer's completion fails, and its environment dies before it could say so.
    fake.injectFault(
      UpdateItemCommand,
      () => true,
      Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' }),
      1,
    );
    const writer = created('doc.txt', 'A', '01');
    expect(failedIds(await run(writer))).toEqual([writer.messageId]);
    dies();
    for (const record of fake.idempotencyTable.values()) record.in_progress_expiration = 0;
    // A twin (S3 delivered the event twice) finds the row and completes the idempotency record.
    const twin = created('doc.txt', 'A', '01');
    expectAllSucceeded(await run(twin));
    expectAllSucceeded(await run(receivedAgain(writer)));
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(1);
  });

  it('13f. a removal applied by a receive that failed for another record is counted once', async () => {
    // Prepare: a message holding a removal and an upload whose copy fails once.
    s3.putObject('uploads', 'keep.txt', { eTag: 'K', size: 1 });
    await run(created('gone.txt', 'G', '01'));
    const body = s3Notification(
      s3Record({ bucket: 'uploads', key: 'gone.txt', sequencer: '05', eventName: 'ObjectRemoved:Delete' }),
      s3Record({ bucket: 'uploads', key: 'keep.txt', eTag: 'K', sequencer: '06', size: 1 }),
    );
    copyFailsOnce('keep.txt');
    const message = sqsRecord(body);
    // Act: the first receive applies the removal and fails; the retry succeeds.
    expect(failedIds(await run(message))).toEqual([message.messageId]);
    expectAllSucceeded(await run(receivedAgain(message)));
    // Assess
    expect(output.metricTotal('ObjectsRemoved')).toBe(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
  });

  it('13g. a message processed and acknowledged that SQS delivers again (a second copy, first receive) counts nothing new', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'A', size: 100 });
    const message = created('doc.txt', 'A', '01');
    expectAllSucceeded(await run(message));
    // The same message again, as its first receive: a copy SQS kept of a message already deleted.
    expectAllSucceeded(await run(message));
    // And once more after its idempotency record expired: the step runs again and finds its own row.
    fake.idempotencyTable.clear();
    expectAllSucceeded(await run(message));
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricValues('IngestLatency')).toHaveLength(1);
    // Each extra delivery wrote nothing: a duplicate.
    expect(output.metricTotal('DuplicatesSkipped')).toBe(2);
  });

  it('13d. a late event whose invocation died is counted as stale once, on the redelivery', async () => {
    s3.putObject('uploads', 'doc.txt', { eTag: 'B', size: 100 });
    await run(created('doc.txt', 'B', '02'));
    const late = created('doc.txt', 'A', '01');
    await run(late);
    dies();
    await run(receivedAgain(late));
    expect(output.metricTotal('StaleEventsIgnored')).toBe(1);
  });
});
