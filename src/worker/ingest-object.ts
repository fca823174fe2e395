import type { ObjectStore } from '../adapters/object-store.js';
import type { UploadLog } from '../adapters/upload-log.js';
import { copyDestinationKey, judgeObject } from '../core/decide.js';
import { buildUploadRow, type IngestDecision, type UploadRowOptions } from '../core/log-items.js';
import type { CreatedObjectEvent, UploadStatus } from '../core/types.js';
import type { ValidationRules } from '../core/validation.js';

/** Settings of the idempotent step, from the worker's config. */
export interface IngestSettings {
  readonly validation: ValidationRules;
  readonly copyDestinationBucket?: string;
  readonly rowOptions: UploadRowOptions;
}

/** The ports the idempotent step uses. */
export interface IngestPorts {
  readonly objects: ObjectStore;
  readonly log: UploadLog;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** What the idempotent step did; stored in the idempotency record, so it stays small and JSON. */
export interface IngestOutcome {
  readonly status: UploadStatus;
  readonly reason?: string;
  readonly copiedTo?: string;
  /** False when the upload row already existed: a duplicate. */
  readonly written: boolean;
  readonly ingestLatencyMs: number;
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
): Promise<IngestOutcome> {
  const ref = {
    bucket: event.bucket,
    key: event.key,
    ...(event.versionId && { versionId: event.versionId }),
  };
  const head = await ports.objects.head(ref);
  const verdict = judgeObject(event, head, settings.validation);
  let decision: IngestDecision =
    verdict.status === 'ACCEPTED' ? { status: 'STORED' } : { status: verdict.status, reason: verdict.reason };
  if (decision.status === 'STORED' && settings.copyDestinationBucket) {
    const destinationKey = copyDestinationKey(event);
    const copied = await ports.objects.copy({
      source: ref,
      ifMatchETag: event.eTag,
      destinationBucket: settings.copyDestinationBucket,
      destinationKey,
    });
    decision =
      copied === 'copied'
        ? { status: 'STORED', copiedTo: `s3://${settings.copyDestinationBucket}/${destinationKey}` }
        : { status: 'GONE', reason: 'object changed or was deleted before it could be copied' };
  }
  const row = buildUploadRow(
    event,
    {
      ...decision,
      ...(head?.contentType !== undefined && { contentType: head.contentType }),
      ...(head && { metadata: head.metadata }),
    },
    ports.now(),
    settings.rowOptions,
  );
  const written = (await ports.log.putUploadRow(row)) === 'created';
  return {
    status: row.status,
    ...(row.reason !== undefined && { reason: row.reason }),
    ...(row.copiedTo !== undefined && { copiedTo: row.copiedTo }),
    written,
    ingestLatencyMs: row.ingestLatencyMs,
  };
}
