import { Logger } from '@aws-lambda-powertools/logger';
import { HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext, s3Notification, s3Record, sqsEvent, sqsRecord } from '../support/factories.js';
import { loadEvent } from '../support/fixtures.js';
import { handlerHarness } from '../support/handler-harness.js';
import { buildWorkerHandler, failedIds } from '../support/worker.js';

const { fake, output } = handlerHarness();
async function run(event: SQSEvent, env: Record<string, string> = {}): Promise<SQSBatchResponse> {
  return buildWorkerHandler(env)(event, lambdaContext());
}
const put = (key: string, eTag: string, sequencer: string, extra = {}) =>
  sqsRecord(s3Notification(s3Record({ key, eTag, sequencer, size: 100, ...extra })));

describe('worker handler', () => {
  it('ignores, with a metric, events of buckets it does not watch: no GONE row for someone else', async () => {
    // Prepare: the copy destination and a stranger's bucket, beside a watched one.
    fake.putObject('uploads', 'ok.txt', { eTag: 'a', size: 1 });
    const env = { WATCHED_BUCKETS: 'uploads' };
    const stranger = sqsRecord(
      s3Notification(
        s3Record({ bucket: 'someone-elses-bucket', key: 'x.txt', eTag: 'b', sequencer: '01' }),
        s3Record({ bucket: 'uploads-private', key: 'uploads/ok.txt', eTag: 'a', sequencer: '02' }),
      ),
    );
    // Act
    const response = await run(sqsEvent(stranger, put('ok.txt', 'a', '03')), env);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.uploadRows().map((row) => row.bucket)).toEqual(['uploads']);
    expect(fake.stateOf('someone-elses-bucket', 'x.txt')).toBeUndefined();
    expect(output.metricTotal('ForeignEventsIgnored')).toBe(2);
    expect(output.metricTotal('ObjectsGone')).toBe(0);
  });

  it('records one put as one STORED upload row and a PRESENT state row', async () => {
    // Prepare
    fake.putObject('uploads', 'photos/cat.jpg', {
      eTag: '9b2cf535f27731c974343645a3985328',
      size: 2048,
      contentType: 'image/jpeg',
      metadata: { team: 'design' },
    });
    // Act
    const response = await run(loadEvent('put'));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.uploadRows()).toEqual([
      expect.objectContaining({
        pk: 's3://uploads/photos/cat.jpg',
        sk: '9b2cf535f27731c974343645a3985328',
        status: 'STORED',
        size: 2048,
        contentType: 'image/jpeg',
        metadata: { team: 'design' },
        uploader: 'AWS:AIDAEXAMPLE',
        sourceIp: '203.0.113.7',
        gsi1sk: '2026-11-24T10:00:00.000Z#photos/cat.jpg',
      }),
    ]);
    expect(fake.stateOf('uploads', 'photos/cat.jpg')).toMatchObject({
      status: 'PRESENT',
      eTag: '9b2cf535f27731c974343645a3985328',
    });
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricValues('IngestLatency')).toHaveLength(1);
  });

  it('fails only the record whose PutItem was throttled', async () => {
    // Prepare
    fake.putObject('uploads', 'a.txt', { eTag: 'ea', size: 100 });
    fake.putObject('uploads', 'b.txt', { eTag: 'eb', size: 100 });
    fake.injectFault(
      PutCommand,
      (input) => (input.Item as { key?: string }).key === 'b.txt',
      Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const good = put('a.txt', 'ea', '01');
    const throttled = put('b.txt', 'eb', '02');
    // Act
    const response = await run(sqsEvent(good, throttled));
    // Assess
    expect(failedIds(response)).toEqual([throttled.messageId]);
    expect(fake.uploadRows().map((row) => row.key)).toEqual(['a.txt']);
    // The failed record's idempotency record is released, so the redelivery can do the work.
    expect([...fake.idempotencyTable.values()].map((r) => r.status)).toEqual(['COMPLETED']);
    expect(output.metricTotal('RecordsFailed')).toBe(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
  });

  it('writes one upload row for the same notification delivered twice in one batch', async () => {
    fake.putObject('uploads', 'dup/once.txt', { eTag: '66666666666666666666666666666666', size: 10 });
    const response = await run(loadEvent('duplicate-notification'));
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('ObjectsIngested')).toBe(1);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(1);
    // One HeadObject: the second delivery was answered from the idempotency record.
    expect(fake.s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
  });

  it('counts a duplicate notification in a later invocation as a duplicate, not a new row', async () => {
    fake.putObject('uploads', 'photos/cat.jpg', { eTag: '9b2cf535f27731c974343645a3985328', size: 2048 });
    await run(loadEvent('put'));
    // S3 sent the notification twice: the same body in another SQS message.
    const duplicate = loadEvent('put');
    const again = await run(
      sqsEvent({ ...(duplicate.Records[0] as SQSRecord), messageId: 'another-message' }),
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('DuplicatesSkipped')).toBe(1);
  });

  it('keys idempotency on the object, so two different objects get two records', async () => {
    fake.putObject('uploads', 'a.txt', { eTag: 'same', size: 100 });
    fake.putObject('uploads', 'b.txt', { eTag: 'same', size: 100 });
    await run(sqsEvent(put('a.txt', 'same', '01'), put('b.txt', 'same', '02')));
    expect(fake.idempotencyTable.size).toBe(2);
    expect(fake.uploadRows()).toHaveLength(2);
  });

  it('reports every record of an all-poison batch, without failing the invocation', async () => {
    const poison = [sqsRecord('not json'), sqsRecord({ hello: 'world' }), sqsRecord('{"Records":[]}')];
    const response = await run(sqsEvent(...poison));
    expect(failedIds(response)).toEqual(poison.map((r) => r.messageId));
    expect(output.metricTotal('RecordsFailed')).toBe(3);
    expect(fake.dynamodb.calls()).toHaveLength(0);
  });

  it('acknowledges s3:TestEvent and counts it, touching nothing', async () => {
    const response = await run(loadEvent('test-event'));
    expect(response.batchItemFailures).toEqual([]);
    expect(output.metricTotal('TestEventsSkipped')).toBe(1);
    expect(fake.s3.calls()).toHaveLength(0);
    expect(fake.documents.calls()).toHaveLength(0);
  });

  it('keeps the newer state when an older event arrives second, and counts it stale', async () => {
    fake.putObject('uploads', 'order/doc.txt', { eTag: '77777777777777777777777777777777', size: 20 });
    const [newer, older] = loadEvent('out-of-order').Records;
    if (!newer || !older) throw new Error('fixture out-of-order needs two records');
    await run(sqsEvent(newer));
    await run(sqsEvent(older));
    expect(fake.stateOf('uploads', 'order/doc.txt')).toMatchObject({
      eTag: '77777777777777777777777777777777',
      size: 20,
    });
    expect(output.metricTotal('StaleEventsIgnored')).toBe(1);
    // The older content was overwritten before it was processed: recorded, but GONE.
    expect(fake.uploadRows().find((row) => row.eTag === '88888888888888888888888888888888')).toMatchObject({
      status: 'GONE',
    });
  });

  it('leaves the state at A after content A, then B, then A again (no third row)', async () => {
    for (const [eTag, sequencer] of [
      ['A', '01'],
      ['B', '02'],
      ['A', '03'],
    ] as const) {
      fake.putObject('uploads', 'doc.txt', { eTag, size: 100 });
      const response = await run(sqsEvent(put('doc.txt', eTag, sequencer)));
      expect(response.batchItemFailures).toEqual([]);
    }
    expect(
      fake
        .uploadRows()
        .map((row) => row.sk)
        .sort(),
    ).toEqual(['A', 'B']);
    expect(fake.stateOf('uploads', 'doc.txt')).toMatchObject({
      eTag: 'A',
      sequencer: '03',
      status: 'PRESENT',
    });
  });

  it('marks the state DELETED on removal and keeps the upload rows', async () => {
    fake.putObject('uploads', 'photos/cat.jpg', { eTag: '9b2cf535f27731c974343645a3985328', size: 2048 });
    await run(loadEvent('put'));
    fake.s3Memory.deleteObject('uploads', 'photos/cat.jpg');
    await run(loadEvent('delete'));
    expect(fake.stateOf('uploads', 'photos/cat.jpg')).toMatchObject({
      status: 'DELETED',
      sequencer: '0065A1B2C3D4E5F602',
    });
    expect(fake.stateOf('uploads', 'photos/cat.jpg')?.eTag).toBeUndefined();
    expect(fake.uploadRows()).toHaveLength(1);
    expect(output.metricTotal('ObjectsRemoved')).toBe(1);
  });

  it('records a delete marker without an idempotency record', async () => {
    const response = await run(loadEvent('delete-marker'));
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.stateOf('uploads', 'versioned/config.json')).toMatchObject({ status: 'DELETED' });
    expect(fake.idempotencyTable.size).toBe(0);
  });

  it('records an object that is already gone as GONE, not as a failure', async () => {
    const response = await run(loadEvent('put'));
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.uploadRows()[0]).toMatchObject({ status: 'GONE', reason: 'object no longer exists' });
    expect(output.metricTotal('ObjectsGone')).toBe(1);
  });

  it('records a rule breach as REJECTED with its reason, and does not copy it', async () => {
    fake.putObject('uploads', 'photos/cat.jpg', {
      eTag: '9b2cf535f27731c974343645a3985328',
      size: 2048,
      contentType: 'text/html',
    });
    const env = { ALLOWED_CONTENT_TYPES: 'image/*', COPY_DESTINATION_BUCKET: 'private' };
    const response = await run(loadEvent('put'), env);
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.uploadRows()[0]).toMatchObject({
      status: 'REJECTED',
      reason: 'content type text/html is not allowed',
    });
    expect(fake.copies.size).toBe(0);
    expect(output.metricTotal('ObjectsRejected')).toBe(1);
  });

  it('copies accepted objects to the destination and records where', async () => {
    fake.putObject('uploads', 'photos/cat.jpg', { eTag: '9b2cf535f27731c974343645a3985328', size: 2048 });
    await run(loadEvent('put'), { COPY_DESTINATION_BUCKET: 'private' });
    expect(fake.copies.has('private/uploads/photos/cat.jpg')).toBe(true);
    expect(fake.uploadRows()[0]).toMatchObject({
      status: 'STORED',
      copiedTo: 's3://private/uploads/photos/cat.jpg',
    });
  });

  it('uses decoded keys for S3 and the log', async () => {
    const response = await run(loadEvent('encoded-keys'));
    expect(response.batchItemFailures).toEqual([]);
    const heads = fake.s3
      .commandCalls(HeadObjectCommand)
      .map((call) => call.args[0].input.Key)
      .sort();
    expect(heads).toEqual([
      'c++/notes+draft.txt',
      'café/日本語 ファイル 😀.png',
      'discount 100%/price=5%.csv',
      'my folder/holiday photo.jpg',
    ]);
    expect(fake.uploadRows().map((row) => row.pk)).toContain('s3://uploads/my folder/holiday photo.jpg');
  });

  it('retries after a transient S3 error, and the retry succeeds', async () => {
    fake.putObject('uploads', 'photos/cat.jpg', { eTag: '9b2cf535f27731c974343645a3985328', size: 2048 });
    fake.injectFault(
      HeadObjectCommand,
      () => true,
      new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'boom',
      }),
      1,
    );
    const event = loadEvent('put');
    const first = await run(event);
    expect(failedIds(first)).toEqual([event.Records[0]?.messageId]);
    expect(fake.uploadRows()).toHaveLength(0);
    const second = await run(event);
    expect(second.batchItemFailures).toEqual([]);
    expect(fake.uploadRows()).toHaveLength(1);
  });

  it('fails a whole message when one of its records fails, so none is lost', async () => {
    fake.putObject('uploads', 'batch/a.txt', { eTag: '0cc175b9c0f1b6a831c399e269772661', size: 1 });
    fake.putObject('uploads', 'batch/b.txt', { eTag: '92eb5ffee6ae2fec3ad71c777531578f', size: 1 });
    fake.putObject('uploads', 'batch/c.txt', { eTag: '4a8a08f09d37b73795649038408b5f33', size: 1 });
    fake.injectFault(
      PutCommand,
      (input) => (input.Item as { key?: string }).key === 'batch/b.txt',
      new Error('socket hang up'),
      1,
    );
    const event = loadEvent('multi-record');
    expect(failedIds(await run(event))).toHaveLength(1);
    expect(failedIds(await run(event))).toHaveLength(0);
    expect(
      fake
        .uploadRows()
        .map((row) => row.key)
        .sort(),
    ).toEqual(['batch/a.txt', 'batch/b.txt', 'batch/c.txt']);
  });

  it('logs the message id, object URI and reason of a failed record, never the event', async () => {
    const logger = new Logger({ serviceName: 's3-ingest', logLevel: 'DEBUG' });
    fake.injectFault(HeadObjectCommand, () => true, new Error('connect ETIMEDOUT'));
    const event = loadEvent('put');
    await buildWorkerHandler({}, logger)(event, lambdaContext());
    const failure = output.logs().find((line) => line.message === 'record failed; SQS will deliver it again');
    expect(failure).toMatchObject({
      messageId: event.Records[0]?.messageId,
      objectUri: 's3://uploads/photos/cat.jpg',
      reason: 'Error: connect ETIMEDOUT',
    });
    expect(output.lines.join('\n')).not.toContain('"Records"');
  });

  it('publishes metrics also when the invocation throws', async () => {
    const handler = buildWorkerHandler();
    await expect(handler({} as SQSEvent, lambdaContext())).rejects.toThrow();
    expect(output.emf()).toHaveLength(1);
  });
});
