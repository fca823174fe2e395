import type { CopyResult, ObjectStore } from '../adapters/object-store.js';
import type { UploadLog } from '../adapters/upload-log.js';
import { copyDestinationKey } from '../core/copy-plan.js';
import { describesEventContent, judgeObject } from '../core/decide.js';
import { buildUploadRow, type IngestDecision, type UploadRowOptions } from '../core/log-items.js';
import type { ScanCheck } from '../core/scan-result.js';
import type { CreatedObjectEvent, UploadStatus } from '../core/types.js';
import type { ValidationRules } from '../core/validation.js';
import { type ContentRead, readContentType } from './content-read.js';

/** Settings of the idempotent step, from the worker's config. */
export interface IngestSettings {
  readonly validation: ValidationRules;
  /** Read the first bytes of each new content and judge its type by them. @default false */
  readonly contentChecks?: boolean;
  readonly copyDestinationBucket?: string;
  readonly rowOptions: UploadRowOptions;
  /** The malware-scan gate: accepted objects wait for their scan (`PENDING`) and are not copied here. @default false */
  readonly malwareScanGate?: boolean;
  /** Sends the delayed check of a pending scan (the gate on, with `SCAN_CHECK_QUEUE_URL`). */
  readonly scanChecks?: ScanChecks;
}

/** Where the worker sends itself the delayed check of a pending scan. */
export interface ScanChecks {
  schedule(check: ScanCheck): Promise<void>;
}

/** The ports the idempotent step uses. */
export interface IngestPorts {
  readonly objects: ObjectStore;
  readonly log: UploadLog;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** Why an accepted object has no copy, when the copy itself could not be made. */
export type CopySkipped = 'archived' | 'out-of-time';

/** What the idempotent step did; stored in the idempotency record, so it stays small and JSON. */
export interface IngestOutcome {
  readonly status: UploadStatus;
  readonly reason?: string;
  readonly copiedTo?: string;
  readonly copySkipped?: CopySkipped;
  /** False when the upload row already existed. */
  readonly written: boolean;
  readonly ingestLatencyMs: number;
  /** The SQS message whose handling did the work. */
  readonly messageId?: string;
  /**
   * The SQS message whose handling wrote the upload row: this call's when `written`, else the
   * existing row's. Its counts belong to that message, published on the receive of it that succeeds.
   */
  readonly rowWrittenBy?: string;
}

/** What one call of the step knows beyond the event. */
export interface IngestCall {
  readonly messageId?: string;
  /** Epoch milliseconds by which a copy must finish. @default no limit */
  readonly copyDeadline?: number;
}

/** Row text for an accepted object that was not copied, by copy result. */
const NOT_COPIED: Record<Exclude<CopyResult, 'copied'>, string> = {
  'source-changed': 'not copied: no longer the current version (the copy follows the current version)',
  archived: 'not copied: the object is in an archive storage class; restore it, then copy it (see README)',
  'out-of-time': 'not copied: the copy did not finish within the function timeout (see README)',
};

/**
 * Copies an accepted object's current content to the destination if it still has `eTag`.
 *
 * @returns the copy's result and where it went
 */
export async function copyCurrentContent(
  target: { readonly bucket: string; readonly key: string; readonly eTag: string; readonly size?: number },
  objects: ObjectStore,
  destinationBucket: string,
  deadline?: number,
): Promise<{ result: CopyResult; copiedTo: string }> {
  const destinationKey = copyDestinationKey(target);
  const result = await objects.copy({
    source: { bucket: target.bucket, key: target.key },
    ifMatchETag: target.eTag,
    ...(target.size !== undefined && { size: target.size }),
    destinationBucket,
    destinationKey,
    ...(deadline !== undefined && { deadline }),
  });
  return { result, copiedTo: `s3://${destinationBucket}/${destinationKey}` };
}

/**
 * The idempotent step for one ObjectCreated event: enrich from HeadObject, validate, copy when
 * configured, then write the upload row with a conditional put. Errors from S3 or DynamoDB are
 * not caught here: they fail the record so that SQS delivers it again.
 */
export async function ingestObject(
  event: CreatedObjectEvent,
  ports: IngestPorts,
  settings: IngestSettings,
  call: IngestCall = {},
): Promise<IngestOutcome> {
  const head = await ports.objects.head({
    bucket: event.bucket,
    key: event.key,
    ...(event.versionId && { versionId: event.versionId }),
  });
  const content: ContentRead =
    settings.contentChecks && describesEventContent(event, head)
      ? await readContentType(
          ports.objects,
          {
            bucket: event.bucket,
            key: event.key,
            ...(event.versionId !== undefined && { versionId: event.versionId }),
          },
          event.eTag,
        )
      : {};
  const verdict =
    content.changed === true
      ? ({
          status: 'GONE',
          reason: 'object changed or was deleted before its content could be read',
        } as const)
      : judgeObject(
          event,
          head && { ...head, ...(content.detected && { detectedType: content.detected }) },
          settings.validation,
        );
  let decision: IngestDecision =
    verdict.status === 'ACCEPTED' ? { status: 'STORED' } : { status: verdict.status, reason: verdict.reason };
  let copySkipped: CopySkipped | undefined;
  if (decision.status === 'STORED' && settings.malwareScanGate) {
    // The copy waits for the scan result (record-handler's scan branch makes it when clean).
    decision = { status: 'STORED', scanStatus: 'PENDING' };
  } else if (decision.status === 'STORED' && settings.copyDestinationBucket) {
    const { result, copiedTo } = await copyCurrentContent(
      { ...event, ...(event.size === undefined && head?.size !== undefined && { size: head.size }) },
      ports.objects,
      settings.copyDestinationBucket,
      call.copyDeadline,
    );
    if (result === 'copied') {
      decision = { status: 'STORED', copiedTo };
    } else if (result === 'source-changed' && event.versionId === undefined) {
      // Unversioned: the content HeadObject just saw was overwritten or deleted since.
      decision = { status: 'GONE', reason: 'object changed or was deleted before it could be copied' };
    } else {
      // The version exists and passed validation; only its copy is missing, and the reason says why.
      decision = { status: 'STORED', reason: NOT_COPIED[result] };
      if (result !== 'source-changed') copySkipped = result;
    }
  }
  // Content type and metadata only from a HeadObject that saw this event's content.
  const own = describesEventContent(event, head) ? head : undefined;
  const row = buildUploadRow(
    event,
    {
      ...decision,
      ...(own?.contentType !== undefined && { contentType: own.contentType }),
      ...(content.detected && { detectedType: content.detected.mime }),
      ...(own && { metadata: own.metadata }),
    },
    ports.now(),
    settings.rowOptions,
  );
  const put = await ports.log.putUploadRow({
    ...row,
    ...(call.messageId !== undefined && { messageId: call.messageId }),
  });
  const written = put.created;
  const rowWrittenBy = put.created ? call.messageId : put.writtenBy;
  // The row's writer checks its scan later: also when a retry of that message finds the row it
  // wrote (the check may not have been sent); a twin message's duplicate does not.
  if (row.scanStatus === 'PENDING' && settings.scanChecks && (written || rowWrittenBy === call.messageId)) {
    await settings.scanChecks.schedule({
      bucket: event.bucket,
      key: event.key,
      eTag: event.eTag,
      ...(event.versionId !== undefined && { versionId: event.versionId }),
      pendingSince: row.processedAt,
    });
  }
  return {
    status: row.status,
    ...(row.reason !== undefined && { reason: row.reason }),
    ...(row.copiedTo !== undefined && { copiedTo: row.copiedTo }),
    ...(copySkipped !== undefined && { copySkipped }),
    written,
    ingestLatencyMs: row.ingestLatencyMs,
    ...(call.messageId !== undefined && { messageId: call.messageId }),
    ...(rowWrittenBy !== undefined && { rowWrittenBy }),
  };
}
