import { encodeS3EventKey } from './s3-key.js';

// S3's event notification, built where the worker's own kin need it (the local bridge, the
// backfills, the load test): knowledge of the format the worker reads, below every user of it.

/** One S3 change, as a notification describes it: what the local bridge saw, or a backfill listed. */
export interface S3Change {
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

/** Notification configuration id the notifications built here report, as a real bucket configuration would. */
export const LOCAL_CONFIGURATION_ID = 'local-ingest';

/**
 * Builds the S3 event notification body AWS would send for one change: the same fields,
 * the key URL-encoded as S3 encodes it.
 */
export function buildS3Notification(change: S3Change): { Records: Record<string, unknown>[] } {
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
