import type { ScanCheck, ScanResult } from './scan-result.js';

/** What happened to an object, as the worker understands one S3 event record. */
export type ObjectEventKind = 'created' | 'removed';

/**
 * One S3 event record in a normalised shape, whatever envelope it arrived in.
 * `key` is already URL-decoded.
 */
export interface ObjectEvent {
  readonly kind: ObjectEventKind;
  readonly bucket: string;
  readonly key: string;
  /** Without quotes; absent on ObjectRemoved records. */
  readonly eTag?: string;
  readonly versionId?: string;
  readonly size?: number;
  /** E.g. `ObjectCreated:Put`, `ObjectRemoved:DeleteMarkerCreated`. */
  readonly eventName: string;
  /** ISO-8601, as S3 sent it. */
  readonly eventTime: string;
  readonly sequencer: string;
  readonly uploader?: string;
  readonly sourceIp?: string;
}

/** An ObjectCreated event: these always carry an eTag. */
export interface CreatedObjectEvent extends ObjectEvent {
  readonly kind: 'created';
  readonly eTag: string;
}

/** What the recognised body of one SQS message holds. */
export type ParsedMessage =
  | { readonly type: 'test-event' }
  | { readonly type: 'object-events'; readonly events: readonly ObjectEvent[] }
  | { readonly type: 'scan-result'; readonly scan: ScanResult }
  | { readonly type: 'scan-check'; readonly check: ScanCheck };

/** Status of an upload row; part of the upload log's public contract. */
export type UploadStatus = 'STORED' | 'REJECTED' | 'GONE';

/** Status of a state row; part of the upload log's public contract. */
export type ObjectStateStatus = 'PRESENT' | 'DELETED';
