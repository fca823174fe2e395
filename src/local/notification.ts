import { encodeS3EventKey } from '../core/s3-key.js';

/** What the local bridge knows about one S3 change when it builds the notification. */
export interface BridgedChange {
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  readonly eTag?: string;
  readonly size?: number;
  readonly versionId?: string;
  readonly eventTime: Date;
  readonly sequencer: string;
  readonly principalId: string;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly region: string;
}

/** Notification configuration id the local stack reports, as a real bucket configuration would. */
export const LOCAL_CONFIGURATION_ID = 'local-ingest';

/**
 * Builds the S3 event notification body AWS would send for one change: the same fields,
 * the key URL-encoded as S3 encodes it.
 */
export function buildS3Notification(change: BridgedChange): { Records: Record<string, unknown>[] } {
  const removed = change.eventName.startsWith('ObjectRemoved:');
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: change.region,
        eventTime: change.eventTime.toISOString(),
        eventName: change.eventName,
        userIdentity: { principalId: change.principalId },
        requestParameters: { sourceIPAddress: change.sourceIp },
        responseElements: { 'x-amz-request-id': change.requestId, 'x-amz-id-2': 'fauxqs' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: LOCAL_CONFIGURATION_ID,
          bucket: {
            name: change.bucket,
            ownerIdentity: { principalId: change.principalId },
            arn: `arn:aws:s3:::${change.bucket}`,
          },
          object: {
            key: encodeS3EventKey(change.key),
            ...(!removed && change.size !== undefined && { size: change.size }),
            ...(!removed && change.eTag !== undefined && { eTag: change.eTag }),
            ...(change.versionId !== undefined && { versionId: change.versionId }),
            sequencer: change.sequencer,
          },
        },
      },
    ],
  };
}

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
