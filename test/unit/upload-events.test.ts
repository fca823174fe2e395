import { describe, expect, it } from 'vitest';
import { buildStateChange, buildUploadRow, STATE_SK } from '../../src/core/log-items.js';
import type { CreatedObjectEvent, ObjectEvent } from '../../src/core/types.js';
import {
  extensionOf,
  messageAttributesOf,
  type UploadEvent,
  uploadEventOf,
} from '../../src/core/upload-events.js';
import { schemaErrors } from '../support/upload-event-schema.js';

const NOW = Date.parse('2026-12-07T10:00:01.000Z');
const created = (overrides: Partial<CreatedObjectEvent> = {}): CreatedObjectEvent => ({
  kind: 'created',
  bucket: 'uploads',
  key: 'reports/Q3 final.PDF',
  eTag: 'b1946ac92492d2347c6235b4d2611184',
  size: 6,
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-12-07T10:00:00.000Z',
  sequencer: '0055AED6DCD90281E5',
  uploader: 'AWS:AIDAEXAMPLE',
  sourceIp: '198.51.100.4',
  ...overrides,
});
const removed = (overrides: Partial<ObjectEvent> = {}): ObjectEvent => ({
  kind: 'removed',
  bucket: 'uploads',
  key: 'reports/Q3 final.PDF',
  eventName: 'ObjectRemoved:Delete',
  eventTime: '2026-12-07T10:05:00.000Z',
  sequencer: '0055AED6DCD90281F0',
  ...overrides,
});
const uploadRow = (event = created(), status: 'STORED' | 'REJECTED' | 'GONE' = 'STORED', reason?: string) =>
  ({
    ...buildUploadRow(event, { status, contentType: 'application/pdf', ...(reason && { reason }) }, NOW, {
      gsiShardCount: 8,
    }),
  }) as unknown as Record<string, unknown>;
/** The state row as the worker's UpdateItem leaves it. */
const stateRow = (event: ObjectEvent, current?: { eTag?: string; versionId?: string; size?: number }) => {
  const { pk, ...change } = buildStateChange(event, NOW, current);
  return { pk, sk: STATE_SK, ...change } as Record<string, unknown>;
};

describe('upload events from the log’s changes', () => {
  it('announces a new upload row, with the row’s fields, valid against the schema', () => {
    const event = uploadEventOf({ eventName: 'INSERT', newImage: uploadRow() });
    expect(event).toMatchObject({
      schemaVersion: 1,
      type: 'upload.recorded',
      bucket: 'uploads',
      key: 'reports/Q3 final.PDF',
      eTag: 'b1946ac92492d2347c6235b4d2611184',
      size: 6,
      contentType: 'application/pdf',
      status: 'STORED',
      uploader: 'AWS:AIDAEXAMPLE',
      sourceIp: '198.51.100.4',
      eventTime: '2026-12-07T10:00:00.000Z',
      processedAt: '2026-12-07T10:00:01.000Z',
      time: '2026-12-07T10:00:01.000Z',
    });
    expect(schemaErrors(event)).toEqual([]);
  });

  it('gives a change the same id every time it is read, and another change another id', () => {
    const first = uploadEventOf({ eventName: 'INSERT', newImage: uploadRow() });
    const again = uploadEventOf({ eventName: 'INSERT', newImage: uploadRow() });
    const other = uploadEventOf({ eventName: 'INSERT', newImage: uploadRow(created({ eTag: 'ffff' })) });
    expect(again?.id).toBe(first?.id);
    expect(other?.id).not.toBe(first?.id);
    expect(first?.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('announces rejected and gone uploads with their reason', () => {
    const event = uploadEventOf({
      eventName: 'INSERT',
      newImage: uploadRow(created(), 'REJECTED', 'extension exe is blocked'),
    });
    expect(event).toMatchObject({ status: 'REJECTED', reason: 'extension exe is blocked' });
    expect(schemaErrors(event)).toEqual([]);
    expect(
      uploadEventOf({ eventName: 'INSERT', newImage: uploadRow(created(), 'GONE', 'gone') })?.status,
    ).toBe('GONE');
  });

  it('announces a correction by reprocess, and no other change of an upload row', () => {
    const before = uploadRow(created(), 'REJECTED', 'size unknown');
    const bookkeeping = { ...before, copiedTo: 's3://private/uploads/x' };
    expect(uploadEventOf({ eventName: 'MODIFY', oldImage: before, newImage: bookkeeping })).toBeUndefined();
    const corrected = {
      ...before,
      status: 'STORED',
      reason: undefined,
      reprocessedAt: '2026-12-08T09:00:00.000Z',
    };
    delete (corrected as Record<string, unknown>).reason;
    const event = uploadEventOf({ eventName: 'MODIFY', oldImage: before, newImage: corrected });
    expect(event).toMatchObject({ type: 'upload.corrected', status: 'STORED', previousStatus: 'REJECTED' });
    expect(schemaErrors(event)).toEqual([]);
    // The same correction read again: same id; the row corrected again later: another one.
    expect(uploadEventOf({ eventName: 'MODIFY', oldImage: before, newImage: corrected })?.id).toBe(event?.id);
    const later = { ...corrected, reprocessedAt: '2026-12-09T09:00:00.000Z' };
    expect(uploadEventOf({ eventName: 'MODIFY', oldImage: corrected, newImage: later })?.id).not.toBe(
      event?.id,
    );
  });

  it('announces a removal that deletes the object', () => {
    const present = stateRow(created());
    const deleted = stateRow(removed());
    const event = uploadEventOf({ eventName: 'MODIFY', oldImage: present, newImage: deleted });
    expect(event).toMatchObject({
      type: 'object.removed',
      status: 'DELETED',
      bucket: 'uploads',
      key: 'reports/Q3 final.PDF',
      eventTime: '2026-12-07T10:05:00.000Z',
    });
    expect(schemaErrors(event)).toEqual([]);
    // A key with a slash and a newline survives the partition key.
    const odd = stateRow(removed({ key: 'a/b\nc.txt' }));
    expect(uploadEventOf({ eventName: 'INSERT', newImage: odd })?.key).toBe('a/b\nc.txt');
  });

  it('announces a version removal that leaves another version current, not one of a noncurrent version', () => {
    const current = stateRow(created({ eTag: 'B', versionId: 'v2' }));
    const olderNowCurrent = stateRow(removed({ versionId: 'v2' }), { eTag: 'A', versionId: 'v1', size: 1 });
    const event = uploadEventOf({ eventName: 'MODIFY', oldImage: current, newImage: olderNowCurrent });
    expect(event).toMatchObject({ type: 'object.removed', status: 'PRESENT', eTag: 'A', versionId: 'v1' });
    expect(schemaErrors(event)).toEqual([]);
    const noncurrentGone = stateRow(removed({ versionId: 'v1' }), { eTag: 'B', versionId: 'v2', size: 2 });
    expect(
      uploadEventOf({ eventName: 'MODIFY', oldImage: current, newImage: noncurrentGone }),
    ).toBeUndefined();
  });

  it('announces nothing for a creation’s state, a removal written again, or a row TTL deletes', () => {
    const present = stateRow(created());
    expect(uploadEventOf({ eventName: 'INSERT', newImage: present })).toBeUndefined();
    const deleted = stateRow(removed());
    expect(
      uploadEventOf({ eventName: 'MODIFY', oldImage: deleted, newImage: { ...deleted, updatedAt: 'later' } }),
    ).toBeUndefined();
    expect(uploadEventOf({ eventName: 'REMOVE', oldImage: uploadRow() })).toBeUndefined();
  });

  it('gives subscribers the attributes they filter on', () => {
    const event = uploadEventOf({ eventName: 'INSERT', newImage: uploadRow() }) as UploadEvent;
    expect(messageAttributesOf(event)).toEqual({
      type: 'upload.recorded',
      bucket: 'uploads',
      status: 'STORED',
      contentType: 'application/pdf',
      extension: 'pdf',
    });
    expect(extensionOf('dir.d/README')).toBeUndefined();
    expect(extensionOf('.profile')).toBeUndefined();
    expect(extensionOf('archive.tar.GZ')).toBe('gz');
  });

  it('the schema refuses what is not an event (the check can fail)', () => {
    const event = uploadEventOf({ eventName: 'INSERT', newImage: uploadRow() }) as UploadEvent;
    expect(schemaErrors({ ...event, id: 'not-an-id' })).not.toEqual([]);
    expect(schemaErrors({ ...event, status: 'DELETED' })).not.toEqual([]);
    expect(schemaErrors({ ...event, extra: true })).not.toEqual([]);
  });
});
