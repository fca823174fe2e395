import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareUtf8, KeyOrderedMap, listOrdered } from '../../src/local/s3-listing-order.js';

const byUtf8Bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The listing a bucket of `keys` gives, the slow and obvious way: every key, sorted, walked once. */
function referenceListing(keys: readonly string[], prefix: string, delimiter: string, after: string) {
  const entries: { key?: string; common?: string }[] = [];
  for (const key of [...keys].sort(byUtf8Bytes)) {
    if (!key.startsWith(prefix) || (after && byUtf8Bytes(key, after) <= 0)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut < 0) {
      entries.push({ key });
      continue;
    }
    const common = key.slice(0, cut + delimiter.length);
    if (after && byUtf8Bytes(common, after) <= 0) continue;
    if (entries.at(-1)?.common !== common) entries.push({ common });
  }
  return entries;
}

/** Every page of a listing, each starting after the last entry of the one before (S3's continuation). */
function pagedListing(map: KeyOrderedMap<string>, prefix: string, delimiter: string, maxKeys: number) {
  const entries: { key?: string; common?: string }[] = [];
  let after = '';
  for (let pages = 0; pages < 10_000; pages += 1) {
    const page = listOrdered(map, { prefix, delimiter, maxKeys, startAfter: after });
    // Within a page, keys and common prefixes interleave in key order.
    const merged = [
      ...page.objects.map((key) => ({ key, at: key })),
      ...page.commonPrefixes.map((common) => ({ common, at: common })),
    ].sort((a, b) => compareUtf8(a.at, b.at));
    expect(merged.length).toBeLessThanOrEqual(maxKeys);
    entries.push(...merged.map(({ at: _, ...entry }) => entry));
    if (!page.isTruncated) return entries;
    after = merged.at(-1)?.at ?? after;
  }
  throw new Error('the listing never ended');
}

describe('compareUtf8', () => {
  it('orders strings as their UTF-8 bytes do (S3 key order), surrogate pairs included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(byUtf8Bytes(a, b)));
      }),
    );
    // The case code-unit order gets wrong: U+FFFD (3 UTF-8 bytes, EF..) before U+1F600 (F0..).
    expect(compareUtf8('\uFFFD', '😀')).toBeLessThan(0);
    expect('\uFFFD' < '😀').toBe(false);
  });

  it('puts upper case before lower case, as S3 does and locale order does not', () => {
    expect(['a1', 'B2', 'c3', 'Z4', '_5'].sort(compareUtf8)).toEqual(['B2', 'Z4', '_5', 'a1', 'c3']);
  });
});

describe('listOrdered', () => {
  // S3 keys are 1 to 1,024 bytes: never empty.
  const key = fc.string({ unit: fc.constantFrom('a', 'B', '/', '_', 'é', '😀'), minLength: 1, maxLength: 6 });

  it('pages through exactly the listing S3 gives, whatever the page size, prefix and delimiter', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 40 }),
        fc.constantFrom('', 'a', 'B/', 'a/'),
        fc.constantFrom('', '/'),
        fc.integer({ min: 1, max: 7 }),
        (keys, prefix, delimiter, maxKeys) => {
          const map = new KeyOrderedMap<string>();
          for (const k of keys) map.set(k, k);
          expect(pagedListing(map, prefix, delimiter, maxKeys)).toEqual(
            referenceListing(keys, prefix, delimiter, ''),
          );
        },
      ),
    );
  });

  it('starts after a marker, and does not repeat a common prefix at or before it', () => {
    const map = new KeyOrderedMap<string>();
    for (const k of ['a/1', 'a/2', 'b/1', 'b0', 'c']) map.set(k, k);
    expect(listOrdered(map, { delimiter: '/', startAfter: 'a/' })).toEqual({
      objects: ['b0', 'c'],
      commonPrefixes: ['b/'],
      isTruncated: false,
    });
    expect(listOrdered(map, { marker: 'b/1' }).objects).toEqual(['b0', 'c']);
  });

  it('sees keys added and removed since the last listing', () => {
    const map = new KeyOrderedMap<string>();
    map.set('b', 'b');
    expect(listOrdered(map).objects).toEqual(['b']);
    map.set('A', 'A');
    map.set('c', 'c');
    map.delete('b');
    map.set('c', 'c2');
    expect(listOrdered(map).objects).toEqual(['A', 'c2']);
    map.clear();
    expect(listOrdered(map).objects).toEqual([]);
  });
});
