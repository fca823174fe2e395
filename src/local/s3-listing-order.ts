/**
 * Makes the embedded S3 (fauxqs 1.9) list a bucket as S3 does.
 *
 * fauxqs sorts a bucket's keys with `localeCompare` on every ListObjects call, then pages with a
 * binary `<=` against the last key. Two things differ from S3:
 * - **Order.** S3 lists in UTF-8 binary order (`B` before `_` before `a`); locale order puts `a`
 *   before `B`. Paging then skips keys: after a page ending at `a1`, every upper-case key is `<=`
 *   `a1` in binary, and is never listed. A backfill of a mixed-case bucket silently missed objects.
 * - **Cost.** Each call copies, filters and sorts the whole bucket. Listing a bucket of N keys in
 *   pages costs O(N² log N), so 20,000 objects took the embedded S3 about a second of CPU per pass.
 *
 * This keeps each bucket's keys in a map that remembers their binary order (sorted again only
 * after a key is added or removed), and answers ListObjects and ListObjectsV2 from it: a binary
 * search to the first key, then one step per key or common prefix returned. It replaces two
 * methods of fauxqs' `S3Store` (pinned at 1.9.2; `test/integration/local-s3-listing.test.ts`
 * fails if its shape changes). fauxqs' package exports only its app, so the class is reached by
 * the file the app itself imports; Node.js loads a module once per URL, so it is the same class.
 */

/** Compares two strings by the UTF-8 bytes that encode them: S3's key order. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

/**
 * A UTF-16 code unit's place in UTF-8 order. UTF-8 orders by code point, UTF-16 by code unit;
 * the two differ only where a surrogate (a code point above U+FFFF) meets U+E000..U+FFFF.
 */
function utf8Rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** A bucket's objects by key, with the keys in S3's order on demand. */
export class KeyOrderedMap<V> extends Map<string, V> {
  #ordered: string[] | undefined;

  override set(key: string, value: V): this {
    if (this.#ordered && !this.has(key)) this.#ordered = undefined;
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    const deleted = super.delete(key);
    if (deleted) this.#ordered = undefined;
    return deleted;
  }

  override clear(): void {
    this.#ordered = undefined;
    super.clear();
  }

  /** The keys in UTF-8 binary order (sorted once per change of the key set). */
  orderedKeys(): readonly string[] {
    this.#ordered ??= [...this.keys()].sort(compareUtf8);
    return this.#ordered;
  }
}

/** What fauxqs' list actions ask of its store. */
export interface ListingQuery {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxKeys?: number;
  readonly startAfter?: string;
  readonly marker?: string;
}

/** What they get back. */
export interface ListingAnswer<V> {
  readonly objects: V[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
}

/**
 * One page of a bucket's listing, as S3 answers it: keys after `startAfter` (or `marker`) under
 * `prefix` in UTF-8 order, keys holding `delimiter` after the prefix rolled up into common
 * prefixes, at most `maxKeys` entries (keys and common prefixes together). A common prefix at or
 * before the marker was on an earlier page, and is not repeated.
 */
export function listOrdered<V>(objects: KeyOrderedMap<V>, query: ListingQuery = {}): ListingAnswer<V> {
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter || undefined;
  const maxKeys = query.maxKeys ?? 1000;
  const after = query.startAfter || query.marker || undefined;
  const keys = objects.orderedKeys();
  const found: V[] = [];
  const commonPrefixes: string[] = [];
  let index = firstIndex(
    keys,
    (key) => compareUtf8(key, prefix) >= 0 && (after === undefined || compareUtf8(key, after) > 0),
    0,
  );
  while (index < keys.length) {
    const key = keys[index] as string;
    if (!key.startsWith(prefix)) break;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = delimiter && cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && after !== undefined && compareUtf8(common, after) <= 0) {
      index = pastPrefix(keys, common, index);
      continue;
    }
    if (found.length + commonPrefixes.length >= maxKeys)
      return { objects: found, commonPrefixes, isTruncated: true };
    if (common !== undefined) {
      commonPrefixes.push(common);
      index = pastPrefix(keys, common, index);
    } else {
      found.push(objects.get(key) as V);
      index += 1;
    }
  }
  return { objects: found, commonPrefixes, isTruncated: false };
}

/** The first index at or after `from` where `test` holds, in keys where it holds from some index on. */
function firstIndex(keys: readonly string[], test: (key: string) => boolean, from: number): number {
  let low = from;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (test(keys[middle] as string)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The index of the first key after every key that starts with `prefix` (they are contiguous). */
function pastPrefix(keys: readonly string[], prefix: string, from: number): number {
  return firstIndex(keys, (key) => compareUtf8(key, prefix) > 0 && !key.startsWith(prefix), from);
}

/** The part of fauxqs' S3Store this replaces. */
interface FauxqsS3Store {
  buckets: Map<string, Map<string, unknown>>;
  createBucket(name: string): void;
  listObjects(bucket: string, query?: ListingQuery): ListingAnswer<unknown>;
}

let installed: Promise<void> | undefined;

/**
 * Makes every fauxqs S3 store in this process list in S3's order, from an index. Idempotent.
 *
 * @throws when fauxqs' store no longer has the shape this replaces (a fauxqs upgrade)
 */
export function installOrderedListing(): Promise<void> {
  installed ??= (async () => {
    const app = import.meta.resolve('fauxqs');
    const { S3Store } = (await import(new URL('./s3/s3Store.js', app).href)) as {
      S3Store?: { prototype: FauxqsS3Store };
    };
    const store = S3Store?.prototype;
    if (typeof store?.createBucket !== 'function' || typeof store.listObjects !== 'function') {
      throw new Error('fauxqs S3Store has changed shape: review src/local/s3-listing-order.ts');
    }
    const createBucket = store.createBucket;
    const listObjects = store.listObjects;
    store.createBucket = function (this: FauxqsS3Store, name: string) {
      createBucket.call(this, name);
      const objects = this.buckets.get(name);
      if (!objects || objects instanceof KeyOrderedMap) return;
      const ordered = new KeyOrderedMap<unknown>();
      for (const [key, object] of objects) ordered.set(key, object);
      this.buckets.set(name, ordered);
    };
    store.listObjects = function (this: FauxqsS3Store, bucket: string, query?: ListingQuery) {
      const objects = this.buckets.get(bucket);
      // A missing bucket: fauxqs' own answer (NoSuchBucket).
      if (!(objects instanceof KeyOrderedMap)) return listObjects.call(this, bucket, query);
      return listOrdered(objects, query);
    };
  })();
  return installed;
}
