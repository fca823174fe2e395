import { MalformedMessageError } from '../errors.js';

/**
 * Decodes an object key as S3 writes it in event notifications: form-URL-encoded,
 * so `+` stands for a space and everything else non-safe is `%xx` (UTF-8).
 *
 * @param encodedKey - `s3.object.key` from a notification record
 * @returns the key exactly as the uploader named the object
 * @throws {MalformedMessageError} when the key holds an invalid `%` sequence
 * @example decodeS3EventKey('red+flower%2B1.jpg') // 'red flower+1.jpg'
 */
export function decodeS3EventKey(encodedKey: string): string {
  try {
    return decodeURIComponent(encodedKey.replace(/\+/g, ' '));
  } catch (error) {
    throw new MalformedMessageError(`object key is not valid URL encoding: ${JSON.stringify(encodedKey)}`, {
      cause: error,
    });
  }
}

/** A key of only the characters S3 leaves as they are in a notification. */
const UNENCODED_KEY = /^[A-Za-z0-9\-_.*/]*$/;

/**
 * Encodes an object key the way S3 does in event notifications (the inverse of
 * {@link decodeS3EventKey}): form encoding, but `/` left as it is.
 *
 * @param key - the object key
 * @returns the key as it appears in `s3.object.key`
 * @example encodeS3EventKey('a dir/red flower+1.jpg') // 'a+dir/red+flower%2B1.jpg'
 */
export function encodeS3EventKey(key: string): string {
  // Most keys need nothing encoded: a backfill encodes one per object listed.
  if (UNENCODED_KEY.test(key)) return key;
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}
