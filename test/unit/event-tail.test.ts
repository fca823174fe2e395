import { describe, expect, it } from 'vitest';
import { eventLine } from '../../src/cli/events.js';
import { parseEventFilters } from '../../src/tools/event-tail.js';

describe('s3-ingest events tail', () => {
  it('turns --filter expressions into a filter policy, all of them to match', () => {
    expect(parseEventFilters(['status=REJECTED,GONE', 'extension=pdf', 'status=STORED'])).toEqual({
      status: ['REJECTED', 'GONE', 'STORED'],
      extension: ['pdf'],
    });
    expect(parseEventFilters([])).toEqual({});
  });

  it('refuses an attribute events do not carry, and an expression without a value', () => {
    expect(() => parseEventFilters(['key=a'])).toThrow(
      '--filter key: events carry type, bucket, status, contentType, extension',
    );
    expect(() => parseEventFilters(['status='])).toThrow('--filter status needs a value');
  });

  it('prints one line per event, with what an uploader controls escaped', () => {
    const line = eventLine({
      schemaVersion: 1,
      id: '0'.repeat(32),
      type: 'upload.recorded',
      time: '2026-12-07T10:00:01.000Z',
      bucket: 'uploads',
      key: 'evil\u001b[31m\nname.exe',
      status: 'REJECTED',
      reason: 'extension exe is blocked',
      eventTime: '2026-12-07T10:00:00.000Z',
    });
    expect(line).toBe(
      '2026-12-07T10:00:01.000Z  upload.recorded  REJECTED  s3://uploads/evil\\x1b[31m\\nname.exe  extension exe is blocked',
    );
    expect([...line].some((char) => (char.codePointAt(0) ?? 0) < 0x20)).toBe(false);
  });
});
