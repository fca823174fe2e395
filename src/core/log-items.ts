import type { RowScanStatus, ScanResultStatus } from './scan-result.js';
import { sequencerOrderKey } from './sequencer.js';
import type { CreatedObjectEvent, ObjectEvent, ObjectStateStatus, UploadStatus } from './types.js';

/** Sort key of the state row. */
export const STATE_SK = 'STATE';

/** Name of the index that answers "what was uploaded to this bucket, when". */
export const BY_BUCKET_DAY_INDEX = 'byBucketDay';

/** Partition key shared by an object's upload rows and its state row. */
export function objectPk(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Sort key of an upload row: one per distinct content (and version) of an object. */
export function uploadSk(eTag: string, versionId?: string): string {
  return versionId ? `${eTag}#${versionId}` : eTag;
}

/**
 * The key the idempotent step is keyed on: bucket + key + eTag (+ versionId).
 * A duplicate S3 notification is a different SQS message, so the message id would not do.
 */
export function idempotencyKeyOf(
  event: Pick<CreatedObjectEvent, 'bucket' | 'key' | 'eTag' | 'versionId'>,
): string {
  return `${objectPk(event.bucket, event.key)}#${uploadSk(event.eTag, event.versionId)}`;
}

/**
 * Stable shard of a key for the `byBucketDay` index (FNV-1a over the UTF-8 bytes). Readers
 * query every shard of a day, so the hash only has to spread keys evenly.
 */
export function gsiShard(key: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
}

/** `gsi1pk` of the `byBucketDay` index: `<bucket>#<YYYY-MM-DD of eventTime>#<shard>`. */
export function bucketDayPartition(bucket: string, day: string, shard: number): string {
  return `${bucket}#${day}#${shard}`;
}

/** What the idempotent step decided about one object. */
export interface IngestDecision {
  readonly status: UploadStatus;
  readonly reason?: string;
  readonly contentType?: string;
  /** The MIME type the content's first bytes show (content checks), beside the declared `contentType`. */
  readonly detectedType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** `s3://bucket/key` of the copy, when one was made. */
  readonly copiedTo?: string;
  /** `PENDING` when the malware-scan gate holds the object until its scan result comes. */
  readonly scanStatus?: RowScanStatus;
}

/** Options that shape upload rows. */
export interface UploadRowOptions {
  /** Days after `processedAt` when DynamoDB TTL may delete the row; absent keeps rows forever. */
  readonly retentionDays?: number;
  readonly gsiShardCount: number;
}

/** An upload row as written to the log table; attribute names are the public contract. */
export interface UploadRow {
  readonly pk: string;
  readonly sk: string;
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string;
  readonly versionId?: string;
  readonly size?: number;
  readonly contentType?: string;
  readonly detectedType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly eventName: string;
  readonly eventTime: string;
  readonly sequencer: string;
  readonly uploader?: string;
  readonly sourceIp?: string;
  readonly status: UploadStatus;
  readonly reason?: string;
  readonly copiedTo?: string;
  /** The malware scan: `PENDING` (gate on, no result yet), or GuardDuty's scan status. */
  readonly scanStatus?: RowScanStatus;
  /** GuardDuty's result: `NO_THREATS_FOUND`, `THREATS_FOUND`, ... */
  readonly scanResult?: ScanResultStatus;
  /** The threats GuardDuty named, when it found any. */
  readonly scanThreats?: readonly string[];
  /** When the scan result came (GuardDuty's event time). */
  readonly scannedAt?: string;
  readonly processedAt: string;
  readonly ingestLatencyMs: number;
  /** The SQS message whose handling wrote the row. */
  readonly messageId?: string;
  readonly expiresAt?: number;
  readonly gsi1pk: string;
  readonly gsi1sk: string;
}

const SECONDS_PER_DAY = 86_400;

/**
 * Builds the upload row for one ObjectCreated event and the step's decision.
 *
 * @param now - epoch milliseconds when the row is written
 */
export function buildUploadRow(
  event: CreatedObjectEvent,
  decision: IngestDecision,
  now: number,
  options: UploadRowOptions,
): UploadRow {
  const eventMillis = Date.parse(event.eventTime);
  const day = new Date(eventMillis).toISOString().slice(0, 10);
  const hasMetadata = decision.metadata !== undefined && Object.keys(decision.metadata).length > 0;
  return {
    pk: objectPk(event.bucket, event.key),
    sk: uploadSk(event.eTag, event.versionId),
    bucket: event.bucket,
    key: event.key,
    eTag: event.eTag,
    ...(event.versionId !== undefined && { versionId: event.versionId }),
    ...(event.size !== undefined && { size: event.size }),
    ...(decision.contentType !== undefined && { contentType: decision.contentType }),
    ...(decision.detectedType !== undefined && { detectedType: decision.detectedType }),
    ...(hasMetadata && { metadata: decision.metadata }),
    eventName: event.eventName,
    eventTime: event.eventTime,
    sequencer: event.sequencer,
    ...(event.uploader !== undefined && { uploader: event.uploader }),
    ...(event.sourceIp !== undefined && { sourceIp: event.sourceIp }),
    status: decision.status,
    ...(decision.reason !== undefined && { reason: decision.reason }),
    ...(decision.copiedTo !== undefined && { copiedTo: decision.copiedTo }),
    ...(decision.scanStatus !== undefined && { scanStatus: decision.scanStatus }),
    processedAt: new Date(now).toISOString(),
    ingestLatencyMs: Math.max(0, now - eventMillis),
    ...(options.retentionDays !== undefined && {
      expiresAt: Math.floor(now / 1000) + options.retentionDays * SECONDS_PER_DAY,
    }),
    gsi1pk: bucketDayPartition(event.bucket, day, gsiShard(event.key, options.gsiShardCount)),
    gsi1sk: truncateUtf8(`${event.eventTime}#${event.key}`, MAX_SORT_KEY_BYTES),
  };
}

/** DynamoDB's limit on a sort key, index sort keys included. Keys may be 1,024 bytes on their own. */
export const MAX_SORT_KEY_BYTES = 1024;

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. The index sort key
 * only orders rows; the full key is always in the row's `key` attribute.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** The new state an event would give an object's state row, applied only if it is newer. */
export interface StateChange {
  readonly pk: string;
  readonly status: ObjectStateStatus;
  readonly eTag?: string;
  readonly size?: number;
  readonly versionId?: string;
  readonly sequencer: string;
  /** {@link sequencerOrderKey} of `sequencer`: what the write condition compares. */
  readonly sequencerKey: string;
  /** The S3 event that set this state (`ObjectRemoved:Delete`, ...): what tells a removal's change from a creation's. */
  readonly eventName: string;
  readonly eventTime: string;
  readonly updatedAt: string;
  /**
   * `s3://bucket/key` of a copy of this state's content made while handling the event; recorded
   * with `copiedSequencerKey` so later deliveries know the copy is up to date.
   */
  readonly copiedTo?: string;
}

/** What S3 says an object is now, as far as a state row needs it. */
export interface CurrentObject {
  readonly eTag?: string;
  readonly size?: number;
  readonly versionId?: string;
}

/**
 * Builds the state change for an object event. A creation makes the object PRESENT with the
 * event's content. A removal makes it what S3 says now: in a versioned bucket, deleting one
 * version or a delete marker may leave (or restore) a current version, so `current` (HeadObject
 * without a version, after the removal) decides; `undefined` means nothing is current: DELETED.
 *
 * @param current - for removals only: the object's current version, if any
 */
export function buildStateChange(event: ObjectEvent, now: number, current?: CurrentObject): StateChange {
  const content: CurrentObject | undefined = event.kind === 'created' ? event : current;
  return {
    pk: objectPk(event.bucket, event.key),
    status: content ? 'PRESENT' : 'DELETED',
    ...(content?.eTag !== undefined && { eTag: content.eTag }),
    ...(content?.size !== undefined && { size: content.size }),
    ...(content?.versionId !== undefined && { versionId: content.versionId }),
    sequencer: event.sequencer,
    sequencerKey: sequencerOrderKey(event.sequencer),
    eventName: event.eventName,
    eventTime: event.eventTime,
    updatedAt: new Date(now).toISOString(),
  };
}

/** A removal after which S3 can have no current version: a delete marker now hides the object. */
export function removalLeavesNothing(event: ObjectEvent): boolean {
  return event.eventName === 'ObjectRemoved:DeleteMarkerCreated';
}

/** How a state change went: a newer state, the same event again, or an older event ignored. */
export type StateOutcome = 'advanced' | 'unchanged' | 'stale';

/** The state row's copy bookkeeping before a change, from the write that applied it. */
export interface PreviousState {
  readonly sequencerKey?: string;
  /** `sequencerKey` of the state whose content was last copied to the destination. */
  readonly copiedSequencerKey?: string;
}

/**
 * Whether the copy destination must be brought up to the state this event left: the event is the
 * object's newest (not stale), the object is present, and no copy of that very state is recorded,
 * neither by this delivery nor by an earlier one.
 */
export function copyNeedsSync(
  change: StateChange,
  outcome: StateOutcome,
  previous: PreviousState | undefined,
): boolean {
  if (outcome === 'stale' || change.status !== 'PRESENT' || change.copiedTo !== undefined) return false;
  return previous?.copiedSequencerKey !== change.sequencerKey;
}
