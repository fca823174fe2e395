/**
 * Issues sequencers like S3's: fixed-width upper-case hex that only grows, so events for the
 * same key order correctly (here they grow across all keys, which S3 also allows).
 */
export class SequencerClock {
  #last = 0n;

  constructor(private readonly now: () => number = Date.now) {}

  /** The next sequencer: 18 hex digits, strictly greater than the one before. */
  next(): string {
    const fromClock = BigInt(this.now()) << 20n;
    this.#last = fromClock > this.#last ? fromClock : this.#last + 1n;
    return this.#last.toString(16).toUpperCase().padStart(18, '0');
  }
}

/**
 * The principal S3 would report for a request: `AWS:<access key id>` from a SigV4
 * Authorization header, `anonymous` without one.
 */
export function principalFromAuthorization(authorization: string | undefined): string {
  const match = authorization?.match(/Credential=([^/,\s]+)\//);
  return match?.[1] ? `AWS:${match[1]}` : 'anonymous';
}
