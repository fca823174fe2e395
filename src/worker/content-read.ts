import type { ObjectRef, ObjectStore } from '../adapters/object-store.js';
import { CONTENT_SAMPLE_BYTES, type DetectedType, detectContentType } from '../core/content-detection.js';

/** What one content's first bytes said. */
export interface ContentRead {
  /** The type the bytes show; absent for content without a signature, empty or archived content. */
  readonly detected?: DetectedType;
  /** The content is no longer there to read (overwritten, deleted): it cannot be judged. */
  readonly changed?: true;
}

/**
 * The type of exactly one content as its first bytes show it: one ranged read of the version, or
 * of the current content while it has `eTag`. An archived object cannot be read without a restore:
 * nothing is detected, and the declared type decides.
 */
export async function readContentType(
  objects: ObjectStore,
  ref: ObjectRef,
  eTag: string,
): Promise<ContentRead> {
  const read = await objects.readStart(
    { ...ref, ...(ref.versionId === undefined && { ifMatchETag: eTag }) },
    CONTENT_SAMPLE_BYTES,
  );
  if ('unavailable' in read) return read.unavailable === 'archived' ? {} : { changed: true };
  const detected = await detectContentType(read.bytes);
  return detected ? { detected } : {};
}
