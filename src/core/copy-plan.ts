import { createHash } from 'node:crypto';
import { truncateUtf8 } from './log-items.js';
import type { ObjectEvent } from './types.js';

/** CopyObject's limit: larger sources need a multipart copy. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;

/** S3's limits on a multipart upload. */
const MAX_PARTS = 10_000;
const MIN_PART_BYTES = 512 * 1024 ** 2;

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

/** One part of a multipart copy: an inclusive byte range. */
export interface CopyPart {
  readonly first: number;
  readonly last: number;
}

/**
 * Splits an object of `size` bytes into the byte ranges of a multipart copy: 512 MiB parts, or
 * larger ones where 10,000 parts would not cover the object (S3's largest object, 5 TiB, needs
 * 525 MiB parts).
 */
export function copyParts(size: number): CopyPart[] {
  const partBytes = Math.max(MIN_PART_BYTES, Math.ceil(size / MAX_PARTS));
  const parts: CopyPart[] = [];
  for (let first = 0; first < size; first += partBytes) {
    parts.push({ first, last: Math.min(size, first + partBytes) - 1 });
  }
  return parts;
}

/**
 * Key of an object's copy in the destination: `<source bucket>/<key>`, so buckets never collide.
 * Where that passes S3's 1,024-byte key limit (a source key near the limit), the key is cut on a
 * character boundary and ends in `~` and the SHA-256 of the whole name, so it always fits and two
 * long keys never share a copy. The row's `copiedTo` records the key used.
 */
export function copyDestinationKey(event: Pick<ObjectEvent, 'bucket' | 'key'>): string {
  const full = `${event.bucket}/${event.key}`;
  if (Buffer.byteLength(full, 'utf8') <= MAX_OBJECT_KEY_BYTES) return full;
  const digest = createHash('sha256').update(full, 'utf8').digest('hex');
  return `${truncateUtf8(full, MAX_OBJECT_KEY_BYTES - digest.length - 1)}~${digest}`;
}
