import { describe, expect, it } from 'vitest';
import {
  buildStateChange,
  buildUploadRow,
  gsiShard,
  idempotencyKeyOf,
  objectPk,
  truncateUtf8,
  uploadSk,
} from '../../src/core/log-items.js';
import type { CreatedObjectEvent } from '../../src/core/types.js';

const event: CreatedObjectEvent = {
  kind: 'created',
  bucket: 'uploads',
  key: 'dir/a b.txt',
  eTag: 'abc',
  size: 12,
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-11-24T23:59:59.500Z',
  sequencer: '0065A1',
  uploader: 'AWS:AIDA1',
  sourceIp: '203.0.113.7',
};
const NOW = Date.parse('2026-11-25T00:00:01.000Z');

describe('upload log items', () => {
  it('keys upload rows by object and content (and version)', () => {
    expect(objectPk('uploads', 'dir/a b.txt')).toBe('s3://uploads/dir/a b.txt');
    expect(uploadSk('abc')).toBe('abc');
    expect(uploadSk('abc', 'v1')).toBe('abc#v1');
  });

  it('gives different objects and contents different idempotency keys', () => {
    const keys = new Set([
      idempotencyKeyOf(event),
      idempotencyKeyOf({ ...event, key: 'dir/other.txt' }),
      idempotencyKeyOf({ ...event, bucket: 'other' }),
      idempotencyKeyOf({ ...event, eTag: 'def' }),
      idempotencyKeyOf({ ...event, versionId: 'v2' }),
    ]);
    expect(keys.size).toBe(5);
    // Delivery details are not part of the key: a duplicate notification maps to the same key.
    const redelivered = { ...event, eventTime: '2027-01-01T00:00:00Z', sourceIp: '1.1.1.1' };
    expect(idempotencyKeyOf(redelivered)).toBe(idempotencyKeyOf(event));
  });

  it('builds the upload row of the public contract', () => {
    const row = buildUploadRow(
      event,
      {
        status: 'STORED',
        contentType: 'text/plain',
        metadata: { team: 'a' },
        copiedTo: 's3://p/uploads/dir/a b.txt',
      },
      NOW,
      { gsiShardCount: 8, retentionDays: 30 },
    );
    expect(row).toEqual({
      pk: 's3://uploads/dir/a b.txt',
      sk: 'abc',
      bucket: 'uploads',
      key: 'dir/a b.txt',
      eTag: 'abc',
      size: 12,
      contentType: 'text/plain',
      metadata: { team: 'a' },
      eventName: 'ObjectCreated:Put',
      eventTime: '2026-11-24T23:59:59.500Z',
      sequencer: '0065A1',
      uploader: 'AWS:AIDA1',
      sourceIp: '203.0.113.7',
      status: 'STORED',
      copiedTo: 's3://p/uploads/dir/a b.txt',
      processedAt: '2026-11-25T00:00:01.000Z',
      ingestLatencyMs: 1500,
      expiresAt: Math.floor(NOW / 1000) + 30 * 86_400,
      // The index day is the event's day, not the processing day.
      gsi1pk: `uploads#2026-11-24#${gsiShard('dir/a b.txt', 8)}`,
      gsi1sk: '2026-11-24T23:59:59.500Z#dir/a b.txt',
    });
  });

  it('leaves out expiresAt without retention, and the reason when there is none', () => {
    const row = buildUploadRow(event, { status: 'REJECTED', reason: 'too big' }, NOW, { gsiShardCount: 8 });
    expect(row.expiresAt).toBeUndefined();
    expect(row.reason).toBe('too big');
    expect(row.metadata).toBeUndefined();
  });

  it("keeps the index sort key within DynamoDB's 1,024 bytes for the longest keys, without splitting a character", () => {
    const longKey = `${'é'.repeat(511)}xy`; // 1,024 bytes
    const row = buildUploadRow({ ...event, key: longKey }, { status: 'STORED' }, NOW, { gsiShardCount: 8 });
    expect(Buffer.byteLength(row.gsi1sk)).toBeLessThanOrEqual(1024);
    expect(row.gsi1sk.startsWith(`${event.eventTime}#éé`)).toBe(true);
    expect(row.gsi1sk.endsWith('\uFFFD')).toBe(false);
    expect(row.key).toBe(longKey);
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('short', 1024)).toBe('short');
  });

  it('spreads keys over every shard and keeps each key on one', () => {
    const shards = new Set(Array.from({ length: 400 }, (_, i) => gsiShard(`key-${i}`, 8)));
    expect([...shards].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(gsiShard('same', 8)).toBe(gsiShard('same', 8));
    expect(gsiShard('anything', 1)).toBe(0);
  });

  it('builds PRESENT state for creations and DELETED without content for removals', () => {
    expect(buildStateChange(event, NOW)).toMatchObject({ status: 'PRESENT', eTag: 'abc', size: 12 });
    const removed = buildStateChange(
      {
        kind: 'removed',
        bucket: 'uploads',
        key: event.key,
        eventName: 'ObjectRemoved:Delete',
        eventTime: event.eventTime,
        sequencer: '0065A2',
      },
      NOW,
    );
    expect(removed).toMatchObject({ pk: 's3://uploads/dir/a b.txt', status: 'DELETED', sequencer: '0065A2' });
    expect(removed.eTag).toBeUndefined();
    expect(removed.sequencerKey.startsWith('0065A2')).toBe(true);
  });
});
