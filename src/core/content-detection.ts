import { fileTypeFromBuffer } from 'file-type';

/** How many bytes of an object are read to detect its type: what `file-type` needs for every format. */
export const CONTENT_SAMPLE_BYTES = 4100;

/** A type found in an object's bytes. */
export interface DetectedType {
  /** The MIME type, e.g. `application/x-msdownload`. */
  readonly mime: string;
  /** Its usual extension, without the dot, e.g. `exe`. */
  readonly ext: string;
}

/**
 * The type an object's first bytes show (magic numbers, by `file-type`), or `undefined` for
 * content without a signature (plain text, CSV, JSON) or too short to tell.
 */
export async function detectContentType(bytes: Uint8Array): Promise<DetectedType | undefined> {
  if (bytes.length === 0) return undefined;
  const found = await fileTypeFromBuffer(bytes);
  return found ? { mime: found.mime, ext: found.ext } : undefined;
}
