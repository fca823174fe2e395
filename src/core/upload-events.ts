import { createHash } from 'node:crypto';
import { STATE_SK } from './log-items.js';

// The upload log's changes as events for subscribers: which change of a row is announced, and the
// event's public shape (schemas/upload-event-v1.schema.json). Decided from the row's old and new
// images, as the log's DynamoDB Stream carries them, so an event exists exactly when a write did.

export const UPLOAD_EVENT_SCHEMA_VERSION = 1 as const;

export type UploadEventType = 'upload.recorded' | 'object.removed' | 'upload.corrected';

/** One announced change of the upload log (schema version 1). */
export interface UploadEvent {
  readonly schemaVersion: typeof UPLOAD_EVENT_SCHEMA_VERSION;
  /** Stable for the change: the same change delivered again carries the same id. */
  readonly id: string;
  readonly type: UploadEventType;
  /** When the row changed (ISO-8601). */
  readonly time: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
  readonly size?: number;
  readonly contentType?: string;
  /** The type the content's first bytes show (content checks). */
  readonly detectedType?: string;
  /** `STORED`, `REJECTED`, `GONE` for uploads; `DELETED` or `PRESENT` (another version current) for removals. */
  readonly status: string;
  readonly reason?: string;
  readonly copiedTo?: string;
  readonly uploader?: string;
  readonly sourceIp?: string;
  /** When S3 says the change happened. */
  readonly eventTime: string;
  /** When the worker (or reprocess) wrote the row; absent for removals. */
  readonly processedAt?: string;
  /** For `upload.corrected`: the status before the correction. */
  readonly previousStatus?: string;
}

/** One record of the log's stream: what changed, with the row before and after (plain values). */
export interface LogChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly oldImage?: Readonly<Record<string, unknown>>;
  readonly newImage?: Readonly<Record<string, unknown>>;
}

const text = (image: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined => {
  const value = image?.[name];
  return typeof value === 'string' ? value : undefined;
};

const number = (image: Readonly<Record<string, unknown>> | undefined, name: string): number | undefined => {
  const value = image?.[name];
  return typeof value === 'number' ? value : undefined;
};

/** A 32-hex-digit id from the parts that make a change unique. */
function changeId(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** The object's fields of a row, the optional ones only when present. */
function objectFields(image: Readonly<Record<string, unknown>>) {
  const optional = {
    versionId: text(image, 'versionId'),
    eTag: text(image, 'eTag'),
    size: number(image, 'size'),
    contentType: text(image, 'contentType'),
    detectedType: text(image, 'detectedType'),
    reason: text(image, 'reason'),
    copiedTo: text(image, 'copiedTo'),
    uploader: text(image, 'uploader'),
    sourceIp: text(image, 'sourceIp'),
  };
  return Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined));
}

/**
 * The event one change of the upload log announces, or `undefined` for a change that is none of
 * its kinds: a new upload row (`upload.recorded`); a state row whose removal changed what the
 * object is (`object.removed`: deleted, or another version now current); an upload row `reprocess`
 * corrected, or whose malware scan changed its status (`upload.corrected`). Duplicates, stale events and test events write no such change;
 * copy bookkeeping, a removal of a noncurrent version and TTL expiry are not announced.
 */
export function uploadEventOf(change: LogChange): UploadEvent | undefined {
  const row = change.newImage;
  if (change.eventName === 'REMOVE' || !row) return undefined;
  const pk = text(row, 'pk') ?? '';
  const sk = text(row, 'sk') ?? '';
  const bucket = text(row, 'bucket');
  const key = text(row, 'key');
  if (sk === STATE_SK) return removalEvent(change, pk);
  if (bucket === undefined || key === undefined) return undefined;
  const base = {
    schemaVersion: UPLOAD_EVENT_SCHEMA_VERSION,
    bucket,
    key,
    ...objectFields(row),
    status: text(row, 'status') ?? '',
    eventTime: text(row, 'eventTime') ?? '',
  };
  if (change.eventName === 'INSERT') {
    const processedAt = text(row, 'processedAt') ?? '';
    return {
      ...base,
      id: changeId('upload.recorded', pk, sk),
      type: 'upload.recorded',
      time: processedAt,
      processedAt,
    };
  }
  // A correction: `reprocess` rewrote the row, or a malware scan changed its status.
  const reprocessedAt = text(row, 'reprocessedAt');
  const reprocessed = reprocessedAt !== undefined && reprocessedAt !== text(change.oldImage, 'reprocessedAt');
  const scannedAt = text(row, 'scannedAt');
  const rescanned =
    scannedAt !== undefined &&
    scannedAt !== text(change.oldImage, 'scannedAt') &&
    text(row, 'status') !== text(change.oldImage, 'status');
  const correctedAt = reprocessed ? reprocessedAt : rescanned ? scannedAt : undefined;
  if (correctedAt === undefined) return undefined;
  const previousStatus = text(change.oldImage, 'status');
  return {
    ...base,
    id: changeId('upload.corrected', pk, sk, correctedAt),
    type: 'upload.corrected',
    time: correctedAt,
    processedAt: correctedAt,
    ...(previousStatus !== undefined && { previousStatus }),
  };
}

/** The state row's change, announced when a removal changed the object's status or current content. */
function removalEvent(change: LogChange, pk: string): UploadEvent | undefined {
  const row = change.newImage ?? {};
  const old = change.oldImage;
  if (!(text(row, 'eventName') ?? '').startsWith('ObjectRemoved:')) return undefined;
  const sequencerKey = text(row, 'sequencerKey') ?? '';
  if (old && text(old, 'sequencerKey') === sequencerKey) return undefined;
  const same = (name: string) => text(row, name) === text(old, name);
  if (old && same('status') && same('eTag') && same('versionId')) return undefined;
  const [, bucket = '', key = ''] = /^s3:\/\/([^/]*)\/([\s\S]*)$/.exec(pk) ?? [];
  const { copiedTo: _copiedTo, ...content } = objectFields(row);
  return {
    schemaVersion: UPLOAD_EVENT_SCHEMA_VERSION,
    id: changeId('object.removed', pk, sequencerKey),
    type: 'object.removed',
    time: text(row, 'updatedAt') ?? '',
    bucket,
    key,
    ...content,
    status: text(row, 'status') ?? '',
    eventTime: text(row, 'eventTime') ?? '',
  };
}

/** The file extension of a key (lower case, without the dot), or undefined. */
export function extensionOf(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : undefined;
}

/**
 * The message attributes subscribers filter on (SNS subscription filter policies): `type`,
 * `bucket`, `status`, and `contentType` and `extension` when the upload has them. SNS refuses empty
 * attribute values, so absent ones are left out.
 */
export function messageAttributesOf(event: UploadEvent): Record<string, string> {
  const extension = extensionOf(event.key);
  return {
    type: event.type,
    bucket: event.bucket,
    status: event.status,
    ...(event.contentType && { contentType: event.contentType }),
    ...(extension && { extension }),
  };
}
