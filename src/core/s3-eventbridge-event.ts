import type { S3Change } from './s3-notification.js';

// S3's events as EventBridge delivers them, for the local stack's EventBridge-mode buckets and the
// tests: the shape the worker's envelope reads (src/core/envelope.ts), from AWS's "Amazon S3 event
// notifications with EventBridge" reference.

/** The detail-types of S3's events on EventBridge that s3-ingest records (its rules admit these only). */
export const EVENTBRIDGE_DETAIL_TYPES = { created: 'Object Created', removed: 'Object Deleted' } as const;

/**
 * EventBridge's `reason` (the API call) for each created-object event name a notification gives:
 * what the envelope reads back into the notification's name.
 */
export const EVENTBRIDGE_CREATED_REASONS: Readonly<Record<string, string>> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Post': 'POST Object',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
};

/**
 * The EventBridge event S3 sends for one change: `Object Created` or `Object Deleted`, the key as
 * it is (not URL-encoded), `time` to the second as EventBridge writes it.
 *
 * @throws {Error} for an event name EventBridge has no S3 event for here
 */
export function buildEventBridgeS3Event(
  change: S3Change,
  account: string,
  id: string,
): Record<string, unknown> {
  const removed = change.eventName.startsWith('ObjectRemoved:');
  const reason = removed ? 'DeleteObject' : EVENTBRIDGE_CREATED_REASONS[change.eventName];
  if (reason === undefined) throw new Error(`no EventBridge S3 event for ${change.eventName}`);
  return {
    version: '0',
    id,
    'detail-type': removed ? EVENTBRIDGE_DETAIL_TYPES.removed : EVENTBRIDGE_DETAIL_TYPES.created,
    source: 'aws.s3',
    account,
    time: change.eventTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: change.region,
    resources: [`arn:aws:s3:::${change.bucket}`],
    detail: {
      version: '0',
      bucket: { name: change.bucket },
      object: {
        key: change.key,
        ...(!removed && change.size !== undefined && { size: change.size }),
        ...(!removed && change.eTag !== undefined && { etag: change.eTag }),
        ...(change.versionId !== undefined && { 'version-id': change.versionId }),
        sequencer: change.sequencer,
      },
      'request-id': change.requestId,
      requester: change.principalId,
      'source-ip-address': change.sourceIp,
      reason,
      ...(removed && {
        'deletion-type':
          change.eventName === 'ObjectRemoved:DeleteMarkerCreated'
            ? 'Delete Marker Created'
            : 'Permanently Deleted',
      }),
    },
  };
}
