import { describe, expect, it } from 'vitest';
import { parseMessageBody } from '../../src/core/envelope.js';
import { matchesEventPattern } from '../../src/core/event-pattern.js';
import { buildEventBridgeS3Event } from '../../src/core/s3-eventbridge-event.js';
import { buildS3Notification, type S3Change } from '../../src/core/s3-notification.js';

const change = (overrides: Partial<S3Change> = {}): S3Change => ({
  eventName: 'ObjectCreated:Put',
  bucket: 'uploads',
  key: 'reports/q3 final+ü.pdf',
  eTag: 'b1946ac92492d2347c6235b4d2611184',
  size: 6,
  eventTime: new Date('2026-12-07T10:00:00.123Z'),
  sequencer: '0055AED6DCD90281E5',
  principalId: 'AWS:AIDAEXAMPLE',
  sourceIp: '198.51.100.4',
  requestId: 'C3D13FE58DE4C810',
  region: 'eu-west-1',
  ...overrides,
});

/** What the worker reads from a message body, without the fields the two formats spell differently. */
const parsed = (body: unknown) => {
  const message = parseMessageBody(JSON.stringify(body));
  if (message.type !== 'object-events') throw new Error(`not object events: ${message.type}`);
  return message.events.map(({ eventTime: _time, uploader: _uploader, ...event }) => event);
};

/** The pattern of a rule s3-ingest makes for one bucket (infra/s3-ingest.ts). */
const RULE_PATTERN = {
  source: ['aws.s3'],
  'detail-type': ['Object Created', 'Object Deleted'],
  detail: { bucket: { name: ['uploads'] } },
};

describe('S3 events through EventBridge', () => {
  it.each([
    ['a put', change()],
    ['a copy', change({ eventName: 'ObjectCreated:Copy' })],
    ['a multipart upload', change({ eventName: 'ObjectCreated:CompleteMultipartUpload' })],
    ['a browser POST', change({ eventName: 'ObjectCreated:Post' })],
    ['a permanent delete of a version', change({ eventName: 'ObjectRemoved:Delete', versionId: 'v2' })],
    ['a delete marker', change({ eventName: 'ObjectRemoved:DeleteMarkerCreated', versionId: 'm1' })],
  ])('%s reads as the worker reads its notification', (_what, one) => {
    const fromEventBridge = parsed(buildEventBridgeS3Event(one, '123456789012', 'id-1'));
    const fromNotification = parsed(buildS3Notification(one));
    expect(fromEventBridge).toEqual(fromNotification);
    expect(fromEventBridge[0]?.key).toBe('reports/q3 final+ü.pdf');
  });

  it('writes the key as it is, and the time to the second as EventBridge does', () => {
    const event = buildEventBridgeS3Event(change(), '123456789012', 'id-1') as {
      time: string;
      detail: { object: { key: string } };
    };
    expect(event.detail.object.key).toBe('reports/q3 final+ü.pdf');
    expect(event.time).toBe('2026-12-07T10:00:00Z');
  });

  it("a rule's pattern admits its bucket's created and deleted objects, and nothing else", () => {
    const of = (overrides: Partial<S3Change>) =>
      buildEventBridgeS3Event(change(overrides), '123456789012', 'id');
    expect(matchesEventPattern(RULE_PATTERN, of({}))).toBe(true);
    expect(matchesEventPattern(RULE_PATTERN, of({ eventName: 'ObjectRemoved:DeleteMarkerCreated' }))).toBe(
      true,
    );
    expect(matchesEventPattern(RULE_PATTERN, of({ bucket: 'uploads-other' }))).toBe(false);
    expect(matchesEventPattern(RULE_PATTERN, { ...of({}), 'detail-type': 'Object Restore Completed' })).toBe(
      false,
    );
    expect(matchesEventPattern(RULE_PATTERN, { ...of({}), source: 'aws.s3.fake' })).toBe(false);
    expect(matchesEventPattern(RULE_PATTERN, { ...of({}), detail: 'uploads' })).toBe(false);
  });

  it('matches content filters: prefix, anything-but, exists, and lists in the event', () => {
    const event = { source: 'aws.s3', resources: ['arn:aws:s3:::a', 'arn:aws:s3:::b'], detail: { size: 3 } };
    expect(matchesEventPattern({ resources: ['arn:aws:s3:::b'] }, event)).toBe(true);
    expect(matchesEventPattern({ source: [{ prefix: 'aws.' }] }, event)).toBe(true);
    expect(matchesEventPattern({ source: [{ prefix: 'custom.' }] }, event)).toBe(false);
    expect(matchesEventPattern({ source: [{ 'anything-but': ['aws.s3'] }] }, event)).toBe(false);
    expect(matchesEventPattern({ source: [{ 'anything-but': 'aws.ec2' }] }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { size: [3] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { etag: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { size: [{ exists: false }] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { size: [{ numeric: ['>', 1] }] } }, event)).toBe(false);
  });
});
