/**
 * Width to which sequencers are right-padded so that plain string comparison (as DynamoDB
 * condition expressions do it) orders them as S3 documents. S3 sequencers are 16-20 hex digits; longer ones are rejected as malformed.
 */
const ORDER_KEY_WIDTH = 64;

/**
 * Turns an S3 `sequencer` into a string whose lexicographic order is S3's event order:
 * upper-cased hex, right-padded with zeros (S3's rule for comparing sequencers of different
 * lengths). Stored on the state row as `sequencerKey` so a condition expression can compare it.
 *
 * @param sequencer - hex string from the event record
 * @example sequencerOrderKey('0055AED6DCD90281E5')
 */
export function sequencerOrderKey(sequencer: string): string {
  return sequencer.toUpperCase().padEnd(ORDER_KEY_WIDTH, '0');
}

/**
 * Compares two S3 sequencers for the same key.
 *
 * @returns a negative number when `a` is older, 0 when they are the same event, positive when `a` is newer
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length, ORDER_KEY_WIDTH);
  const left = a.toUpperCase().padEnd(width, '0');
  const right = b.toUpperCase().padEnd(width, '0');
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

/** True when `sequencer` is a non-empty hex string. */
export function isValidSequencer(sequencer: unknown): sequencer is string {
  return typeof sequencer === 'string' && /^[0-9A-Fa-f]{1,64}$/.test(sequencer);
}
/**
 * The sequencer of backfilled events: the lowest there is, so a backfill fills in missing upload and
 * state rows but never overrides a state that a real S3 event wrote.
 */
export const BACKFILL_SEQUENCER = '0000000000000000';
