import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyDestinationKey, copyParts, MAX_OBJECT_KEY_BYTES } from '../../src/core/copy-plan.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('copyDestinationKey', () => {
  it('puts copies under the source bucket name', () => {
    expect(copyDestinationKey({ bucket: 'uploads', key: 'a/b.png' })).toBe('uploads/a/b.png');
  });

  it('keeps a key that fits exactly as it is', () => {
    const key = 'k'.repeat(MAX_OBJECT_KEY_BYTES - 'uploads/'.length);
    expect(copyDestinationKey({ bucket: 'uploads', key })).toBe(`uploads/${key}`);
  });

  it('shortens a key that would pass 1,024 bytes, with a hash suffix, and two such keys stay apart', () => {
    const long = `${'é'.repeat(500)}x.txt`; // 1,005 bytes: with "uploads/" 1,013; with a longer bucket, over
    const a = copyDestinationKey({ bucket: 'a-much-longer-bucket-name', key: long });
    const b = copyDestinationKey({ bucket: 'a-much-longer-bucket-name', key: `${long}2` });
    expect(bytes(a)).toBeLessThanOrEqual(MAX_OBJECT_KEY_BYTES);
    expect(a).toMatch(/^a-much-longer-bucket-name\/é+~[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  it('always fits S3 key limits, for any bucket and key', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1024 }).filter((key) => bytes(key) <= 1024),
        (bucket, key) => {
          expect(bytes(copyDestinationKey({ bucket, key }))).toBeLessThanOrEqual(MAX_OBJECT_KEY_BYTES);
        },
      ),
    );
  });
});

describe('copyParts', () => {
  it('covers every byte once, in parts of at least 512 MiB but the last', () => {
    const size = 6 * 1024 ** 3 + 7;
    const parts = copyParts(size);
    expect(parts).toHaveLength(13);
    expect(parts[0]).toEqual({ first: 0, last: 512 * 1024 ** 2 - 1 });
    expect(parts.at(-1)?.last).toBe(size - 1);
    for (let i = 1; i < parts.length; i += 1) expect(parts[i]?.first).toBe((parts[i - 1]?.last ?? 0) + 1);
  });

  it('stays within 10,000 parts for S3 largest object (5 TiB)', () => {
    const parts = copyParts(5 * 1024 ** 4);
    expect(parts.length).toBeLessThanOrEqual(10_000);
    expect(parts.at(-1)?.last).toBe(5 * 1024 ** 4 - 1);
  });
});
