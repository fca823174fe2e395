import { describe, expect, it } from 'vitest';
import { parseMessageBody } from '../../src/core/envelope.js';
import type { ObjectEvent } from '../../src/core/types.js';
import { MalformedMessageError } from '../../src/errors.js';
import { eventBridgeEvent, s3Notification, s3Record, snsWrapped } from '../support/factories.js';
import { firstBody, loadEvent } from '../support/fixtures.js';

function eventsOf(body: string): readonly ObjectEvent[] {
  const parsed = parseMessageBody(body);
  if (parsed.type !== 'object-events') throw new Error(`expected object events, got ${parsed.type}`);
  return parsed.events;
}

describe('parseMessageBody', () => {
  it('reads a raw S3 notification into a normalised event', () => {
    // Act
    const [event] = eventsOf(firstBody('put'));
    // Assess
    expect(event).toEqual({
      kind: 'created',
      bucket: 'uploads',
      key: 'photos/cat.jpg',
      eTag: '9b2cf535f27731c974343645a3985328',
      size: 2048,
      eventName: 'ObjectCreated:Put',
      eventTime: '2026-11-24T10:00:00.000Z',
      sequencer: '0065A1B2C3D4E5F601',
      uploader: 'AWS:AIDAEXAMPLE',
      sourceIp: '203.0.113.7',
    });
  });

  it('returns every record of a message that holds several', () => {
    expect(eventsOf(firstBody('multi-record')).map((e) => e.key)).toEqual([
      'batch/a.txt',
      'batch/b.txt',
      'batch/c.txt',
    ]);
  });

  it('decodes keys with spaces, +, % and unicode', () => {
    const keys = loadEvent('encoded-keys').Records.map((record) => eventsOf(record.body)[0]?.key);
    expect(keys).toEqual([
      'my folder/holiday photo.jpg',
      'c++/notes+draft.txt',
      'discount 100%/price=5%.csv',
      'café/日本語 ファイル 😀.png',
    ]);
  });

  it('unwraps an SNS notification', () => {
    const [event] = eventsOf(firstBody('sns-wrapped'));
    expect(event).toMatchObject({ kind: 'created', key: 'via-sns/report.csv', size: 77 });
  });

  it('reads EventBridge Object Created and Object Deleted events, keys taken as they are', () => {
    const [created] = eventsOf(firstBody('eventbridge-created'));
    const [deleted] = eventsOf(firstBody('eventbridge-deleted'));
    expect(created).toMatchObject({
      kind: 'created',
      key: 'reports/q3 summary.pdf',
      eTag: 'b1946ac92492d2347c6235b4d2611184',
      eventName: 'ObjectCreated:Put',
      uploader: '123456789012',
      sourceIp: '198.51.100.4',
    });
    expect(deleted).toMatchObject({ kind: 'removed', eventName: 'ObjectRemoved:Delete' });
    expect(deleted?.eTag).toBeUndefined();
    const marker = eventsOf(
      JSON.stringify(
        eventBridgeEvent({ detailType: 'Object Deleted', deletionType: 'Delete Marker Created' }),
      ),
    );
    expect(marker[0]?.eventName).toBe('ObjectRemoved:DeleteMarkerCreated');
  });

  it('recognises s3:TestEvent, raw or wrapped by SNS', () => {
    expect(parseMessageBody(firstBody('test-event'))).toEqual({ type: 'test-event' });
    expect(parseMessageBody(JSON.stringify(snsWrapped(JSON.parse(firstBody('test-event')))))).toEqual({
      type: 'test-event',
    });
  });

  it('keeps multipart eTags, version ids and delete markers', () => {
    expect(eventsOf(firstBody('multipart-put'))[0]).toMatchObject({
      eTag: 'd8e8fca2dc0f896fd7cb4cb0031ba249-3',
    });
    expect(eventsOf(firstBody('versioned-put'))[0]).toMatchObject({
      versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
    });
    expect(eventsOf(firstBody('delete-marker'))[0]).toMatchObject({
      kind: 'removed',
      eventName: 'ObjectRemoved:DeleteMarkerCreated',
    });
  });

  it('strips quotes around an eTag and accepts MinIO-style s3: prefixes', () => {
    const body = s3Notification(s3Record({ eTag: '"abc"', eventName: 's3:ObjectCreated:Put' }));
    expect(eventsOf(JSON.stringify(body))[0]).toMatchObject({ eTag: 'abc', eventName: 'ObjectCreated:Put' });
  });

  it.each([
    ['a body that is not JSON', firstBody('malformed-body'), 'not JSON'],
    ['JSON that is not an object', '[1,2]', 'not a JSON object'],
    ['an unknown shape', '{"hello":"world"}', 'not an S3 notification'],
    ['an empty record list', '{"Records":[]}', 'no records'],
    [
      'an unsupported event name',
      JSON.stringify(s3Notification(s3Record({ eventName: 'ObjectTagging:Put' }))),
      'unsupported eventName',
    ],
    ['a record without sequencer', JSON.stringify(s3Notification(s3Record({ sequencer: '' }))), 'sequencer'],
    [
      'a created record without eTag',
      JSON.stringify(s3Notification(s3Record({ eTag: '' }))),
      'without an eTag',
    ],
    ['a bad eventTime', JSON.stringify(s3Notification(s3Record({ eventTime: 'yesterday' }))), 'eventTime'],
    ['an SNS envelope without Message', '{"Type":"Notification"}', 'no Message'],
    [
      'an invalid key encoding',
      JSON.stringify({
        Records: [
          {
            ...s3Record(),
            s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A', eTag: 'x', sequencer: '01' } },
          },
        ],
      }),
      'URL encoding',
    ],
  ])('rejects %s with a reason', (_, body, reason) => {
    expect(() => parseMessageBody(body)).toThrow(MalformedMessageError);
    expect(() => parseMessageBody(body)).toThrow(reason);
  });
});
