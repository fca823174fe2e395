import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
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
import { buildWorkerHandler } from '../support/worker.js';

// Content checks: the worker reads the first bytes of exactly the event's content and judges its
// type by them, on the in-memory S3 (versions, archives and If-Match as S3 answers them).

const { fake } = handlerHarness();
const s3 = fake.s3Memory;
const ENV = { COPY_DESTINATION_BUCKET: 'private', BLOCKED_EXTENSIONS: 'exe' };
const EXE = new Uint8Array([
  0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff,
]);
const PDF = new TextEncoder().encode('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<<>>\nendobj\n');

const created = (key: string, eTag: string, extra: S3RecordOptions = {}): SQSRecord =>
  sqsRecord(s3Notification(s3Record({ bucket: 'uploads', key, eTag, size: 14, sequencer: '01', ...extra })));
const run = (record: SQSRecord, env: Record<string, string> = ENV) =>
  buildWorkerHandler(env)(sqsEvent(record), lambdaContext());
const rowOf = (key: string) => fake.uploadRows().find((row) => row.key === key);
const reads = () => fake.s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input);

describe('content checks', () => {
  it('rejects an executable named .pdf and declared application/pdf, and never copies it', async () => {
    s3.putObject('uploads', 'invoices/invoice.pdf', {
      eTag: 'E1',
      size: 14,
      contentType: 'application/pdf',
      body: EXE,
    });
    await run(created('invoices/invoice.pdf', 'E1'));
    expect(rowOf('invoices/invoice.pdf')).toMatchObject({
      status: 'REJECTED',
      contentType: 'application/pdf',
      detectedType: 'application/x-msdownload',
      reason: 'content is application/x-msdownload (.exe is blocked), declared application/pdf',
    });
    expect(fake.copies.size).toBe(0);
    // One ranged read of exactly the event's content.
    expect(reads()).toEqual([
      expect.objectContaining({
        Bucket: 'uploads',
        Key: 'invoices/invoice.pdf',
        Range: 'bytes=0-4099',
        IfMatch: '"E1"',
      }),
    ]);
  });

  it('stores and copies a PDF that is one, with the type it was found to be', async () => {
    s3.putObject('uploads', 'ok.pdf', {
      eTag: 'P1',
      size: PDF.length,
      contentType: 'application/pdf',
      body: PDF,
    });
    await run(created('ok.pdf', 'P1'));
    expect(rowOf('ok.pdf')).toMatchObject({ status: 'STORED', detectedType: 'application/pdf' });
    expect(fake.copies.get('private/uploads/ok.pdf')?.eTag).toBe('P1');
  });

  it('reads a version by its id, never the current content in its place', async () => {
    s3.setVersioning('uploads', 'Enabled');
    const v1 = s3.putObject('uploads', 'v.pdf', {
      eTag: 'A',
      size: 14,
      contentType: 'application/pdf',
      body: EXE,
    });
    s3.putObject('uploads', 'v.pdf', {
      eTag: 'B',
      size: PDF.length,
      contentType: 'application/pdf',
      body: PDF,
    });
    await run(created('v.pdf', 'A', { versionId: v1 }));
    expect(reads()[0]).toMatchObject({ VersionId: v1 });
    expect(reads()[0]).not.toHaveProperty('IfMatch');
    expect(fake.uploadRows().find((row) => row.versionId === v1)).toMatchObject({
      status: 'REJECTED',
      detectedType: 'application/x-msdownload',
    });
  });

  it('records GONE when the content changes between the head and the read', async () => {
    s3.putObject('uploads', 'race.pdf', { eTag: 'R1', size: 14, contentType: 'application/pdf', body: PDF });
    fake.injectFault(GetObjectCommand, () => true, s3Error('PreconditionFailed', 412), 1);
    await run(created('race.pdf', 'R1'));
    expect(rowOf('race.pdf')).toMatchObject({
      status: 'GONE',
      reason: 'object changed or was deleted before its content could be read',
    });
    expect(fake.copies.size).toBe(0);
  });

  it('judges an archived object and one without a signature by what was declared', async () => {
    s3.putObject('uploads', 'cold.pdf', {
      eTag: 'C1',
      size: 14,
      contentType: 'application/pdf',
      body: EXE,
      storageClass: 'GLACIER',
    });
    await run(created('cold.pdf', 'C1'));
    expect(rowOf('cold.pdf')).toMatchObject({ status: 'STORED', contentType: 'application/pdf' });
    expect(rowOf('cold.pdf')).not.toHaveProperty('detectedType');
    s3.putObject('uploads', 'notes.txt', {
      eTag: 'T1',
      size: 5,
      contentType: 'text/plain',
      body: new TextEncoder().encode('hello'),
    });
    await run(created('notes.txt', 'T1'));
    expect(rowOf('notes.txt')).toMatchObject({ status: 'STORED' });
    expect(rowOf('notes.txt')).not.toHaveProperty('detectedType');
    s3.putObject('uploads', 'empty.pdf', { eTag: 'Z1', size: 0, contentType: 'application/pdf' });
    await run(created('empty.pdf', 'Z1', { size: 0 }));
    expect(rowOf('empty.pdf')).toMatchObject({ status: 'STORED' });
  });

  it('reads nothing with CONTENT_CHECKS=false (the label decides, as before)', async () => {
    s3.putObject('uploads', 'invoice.pdf', {
      eTag: 'E2',
      size: 14,
      contentType: 'application/pdf',
      body: EXE,
    });
    await run(created('invoice.pdf', 'E2'), { ...ENV, CONTENT_CHECKS: 'false' });
    expect(rowOf('invoice.pdf')).toMatchObject({ status: 'STORED' });
    expect(reads()).toEqual([]);
  });

  it('never copies an executable labelled as a PDF that a removal makes current again', async () => {
    s3.setVersioning('uploads', 'Enabled');
    const v1 = s3.putObject('uploads', 'doc.pdf', {
      eTag: 'A',
      size: 14,
      contentType: 'application/pdf',
      body: EXE,
    });
    await run(created('doc.pdf', 'A', { versionId: v1, sequencer: '01' }));
    const v2 = s3.putObject('uploads', 'doc.pdf', {
      eTag: 'B',
      size: PDF.length,
      contentType: 'application/pdf',
      body: PDF,
    });
    await run(created('doc.pdf', 'B', { versionId: v2, sequencer: '02' }));
    expect(fake.copies.get('private/uploads/doc.pdf')?.eTag).toBe('B');
    // Deleting v2 makes v1 (the executable) current: the copy rule must not follow it on its label.
    s3.deleteObject('uploads', 'doc.pdf', v2);
    await run(
      sqsRecord(
        s3Notification(
          s3Record({
            bucket: 'uploads',
            key: 'doc.pdf',
            versionId: v2,
            sequencer: '03',
            eventName: 'ObjectRemoved:Delete',
          }),
        ),
      ),
    );
    expect(fake.stateOf('uploads', 'doc.pdf')).toMatchObject({ status: 'PRESENT', eTag: 'A' });
    expect(fake.copies.get('private/uploads/doc.pdf')?.eTag).not.toBe('A');
  });
});
