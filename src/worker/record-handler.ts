import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import type { ObjectStore } from '../adapters/object-store.js';
import type { UploadLog } from '../adapters/upload-log.js';
import { parseMessageBody } from '../core/envelope.js';
import {
  buildStateChange,
  copyNeedsSync,
  idempotencyKeyOf,
  objectPk,
  removalLeavesNothing,
  type StateChange,
  uploadSk,
} from '../core/log-items.js';
import {
  checkScanTag,
  GUARDDUTY_SCAN_TAG,
  malwareReason,
  type ScanCheck,
  type ScanFailureAction,
  type ScanResult,
  scanVerdict,
} from '../core/scan-result.js';
import type { CreatedObjectEvent, ObjectEvent } from '../core/types.js';
import { ScanBeforeUploadError, ScanTagPendingError } from '../errors.js';
import {
  type CountMetric,
  type IngestMetrics,
  type MetricsRecorder,
  PendingMetrics,
} from '../observability.js';
import type { CopySync } from './copy-sync.js';
import { copyCurrentContent, type IngestCall, type IngestOutcome } from './ingest-object.js';
import type { KeyedSerializer } from './keyed-serializer.js';

/**
 * One call of the idempotent step. The step sets `outcome` when it really runs, before Powertools
 * saves its result, so a fresh result can be told from a stored one even when that save fails.
 */
export interface Execution extends IngestCall {
  outcome?: IngestOutcome;
}

/**
 * The idempotent step, as `makeIdempotent` returns it. Powertools hashes the first argument, the
 * key from {@link idempotencyKeyOf}, as it is: no JMESPath over the event, so no expression can
 * turn into a constant that gives every object the same key.
 */
export type IdempotentIngest = (
  idempotencyKey: string,
  event: CreatedObjectEvent,
  execution: Execution,
) => Promise<IngestOutcome>;

/** What one record's handling needs. */
export interface RecordHandlerDependencies {
  readonly ingest: IdempotentIngest;
  readonly objects: ObjectStore;
  readonly log: UploadLog;
  /** Brings the copy destination up to an object's current content; absent without a destination. */
  readonly copySync?: CopySync;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Buckets whose events are recorded; others are ignored. @default every bucket */
  readonly watchedBuckets?: readonly string[];
  /** Where a clean object is copied once its scan result comes (the gate on). */
  readonly copyDestinationBucket?: string;
  /** The malware-scan gate: copies wait for a clean scan result. @default false */
  readonly scanGate?: boolean;
  /** What a scan that did not complete means. @default hold */
  readonly scanFailureAction?: ScanFailureAction;
  /** Believe a result that lets an object through only when GuardDuty's tag on it agrees. @default false */
  readonly scanTagCheck?: boolean;
}

type LogKeys = { messageId: string; objectUri?: string };

/**
 * One record's view of the dependencies: `metrics` holds its counts until the record succeeds;
 * `countNow` publishes a removal the moment its write succeeded (see {@link PendingMetrics}).
 */
type RecordScope = Omit<RecordHandlerDependencies, 'metrics'> & {
  readonly metrics: MetricsRecorder;
  readonly countNow: (name: CountMetric) => void;
};

/**
 * When a copy must be done by: the invocation's end, less a reserve for writing the rows after
 * it (2 s, or a fifth of what is left when less than 10 s is).
 */
export function copyDeadlineOf(context: Context | undefined, now: number): number | undefined {
  if (!context) return undefined;
  const remaining = context.getRemainingTimeInMillis();
  return now + remaining - Math.min(2_000, remaining / 5);
}

/** One delivery of a record: its message, and by when a copy must be done. */
interface Delivery {
  readonly messageId: string;
  readonly copyDeadline?: number;
  /** SQS's first receive of this message copy (`ApproximateReceiveCount` 1): no earlier receive of it failed. */
  readonly firstReceive: boolean;
}

/**
 * Builds the handler of one SQS record for one invocation. It throws whenever the record must
 * be delivered again (or, after `maxReceiveCount` receives, reach the DLQ); Powertools'
 * batch processor turns that into a `batchItemFailures` entry for this record alone.
 *
 * @param serializer - one per invocation: orders work on the same object within the batch
 */
export function createRecordHandler(
  deps: RecordHandlerDependencies,
  serializer: KeyedSerializer,
): (record: SQSRecord, context?: Context) => Promise<void> {
  return async (record, context) => {
    const keys: LogKeys = { messageId: record.messageId };
    const copyDeadline = copyDeadlineOf(context, deps.now());
    const delivery: Delivery = {
      messageId: record.messageId,
      ...(copyDeadline !== undefined && { copyDeadline }),
      firstReceive: record.attributes?.ApproximateReceiveCount === '1',
    };
    // Published only if the whole message succeeds; a message that comes back counts then.
    const pending = new PendingMetrics();
    const scope: RecordScope = {
      ...deps,
      metrics: pending,
      countNow: (name) => deps.metrics.publishNow(name),
    };
    try {
      const message = parseMessageBody(record.body);
      if (message.type === 'test-event') {
        pending.count('TestEventsSkipped');
        deps.logger.info('s3:TestEvent acknowledged', keys);
      } else if (message.type === 'scan-result') {
        const { scan } = message;
        keys.objectUri = objectPk(scan.bucket, scan.key);
        // After the same version's notification in this batch: a result that came with its
        // notification finds the upload row and the state row written.
        await serializer.run(idempotencyKeyOf(scan), () => handleScanResult(scan, scope, delivery, keys));
      } else if (message.type === 'scan-check') {
        keys.objectUri = objectPk(message.check.bucket, message.check.key);
        await handleScanCheck(message.check, scope, keys);
      } else {
        // In message order: a message may hold several events for the same key.
        for (const event of message.events) {
          keys.objectUri = objectPk(event.bucket, event.key);
          if (deps.watchedBuckets && !deps.watchedBuckets.includes(event.bucket)) {
            // The copy destination, or a bucket someone pointed at this queue: nothing to record.
            pending.count('ForeignEventsIgnored');
            deps.logger.warn('event for a bucket this stack does not watch ignored', {
              ...keys,
              bucket: event.bucket,
            });
            continue;
          }
          if (event.kind === 'created' && event.eTag !== undefined) {
            const created: CreatedObjectEvent = { ...event, kind: 'created', eTag: event.eTag };
            // One version's work in this batch runs in turn (a duplicate of its notification, its
            // scan result), each after the other has written its rows.
            await serializer.run(idempotencyKeyOf(created), () =>
              handleCreated(created, scope, delivery, keys),
            );
          } else {
            await handleRemoved(event, scope, delivery, keys);
          }
        }
      }
      deps.metrics.commit(pending);
    } catch (error) {
      deps.metrics.count('RecordsFailed');
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
        // Another invocation is working on the same object right now; the redelivery will find its result.
        deps.logger.info('same object in progress elsewhere; SQS will deliver this record again', {
          ...keys,
          reason,
        });
      } else if (error instanceof ScanBeforeUploadError || error instanceof ScanTagPendingError) {
        // GuardDuty was faster than S3's notification, or than its own tag: an order expected now and then, retried.
        deps.logger.info('scan result before its upload row or its tag; SQS will deliver it again', {
          ...keys,
          reason,
        });
      } else {
        deps.logger.error('record failed; SQS will deliver it again', { ...keys, reason, error });
      }
      throw error;
    }
  };
}

/**
 * Whether this receive publishes the counts of the row its event is about. They belong to the
 * message that wrote the row, published on the receive of it that succeeds: the one that wrote it,
 * or a later one if an earlier receive wrote it but was never acknowledged (its environment died,
 * another record of the message failed, Powertools could not save the result); such a later
 * receive always has `ApproximateReceiveCount` above 1. A first receive that finds the row its own
 * message wrote earlier (a stored result, or a re-run after the idempotency record expired) is a
 * second copy of a message SQS already delivered, and that delivery counted it. See docs/worker.md
 * ("Counting") for the case this still counts twice.
 */
function countsTheRow(result: IngestOutcome, ranNow: boolean, delivery: Delivery): boolean {
  if (result.rowWrittenBy !== delivery.messageId) return false;
  return (ranNow && result.written) || !delivery.firstReceive;
}

async function handleCreated(
  event: CreatedObjectEvent,
  deps: RecordScope,
  delivery: Delivery,
  keys: LogKeys,
): Promise<void> {
  const idempotencyKey = idempotencyKeyOf(event);
  const execution: Execution = {
    messageId: delivery.messageId,
    ...(delivery.copyDeadline !== undefined && { copyDeadline: delivery.copyDeadline }),
  };
  const outcome = await deps.ingest(idempotencyKey, event, execution);
  const fresh = execution.outcome;
  if (countsTheRow(fresh ?? outcome, fresh !== undefined, delivery)) {
    countNewRow(fresh ?? outcome, deps.metrics, deps, keys);
  } else {
    deps.metrics.count('DuplicatesSkipped');
    deps.logger.debug('duplicate event skipped', keys);
  }

  const copiedNow = execution.outcome?.copiedTo;
  const change = {
    ...buildStateChange(event, deps.now()),
    ...(copiedNow !== undefined && { copiedTo: copiedNow }),
  };
  const state = await deps.log.advanceState(change);
  if (state.outcome === 'stale') {
    deps.metrics.count('StaleEventsIgnored');
    deps.logger.info('older event ignored for the state row', { ...keys, sequencer: event.sequencer });
  }
  // A step that ran has just tried the copy with what S3 holds now; a stored result has not: the
  // content may have come back (A, B, A again; or A re-uploaded after it was recorded GONE).
  if (deps.copySync && !execution.outcome && outcome.status !== 'REJECTED') {
    if (copyNeedsSync(change, state.outcome, state.previous)) {
      await syncCopy(deps.copySync, change, event, outcome.status === 'STORED', delivery, deps, keys);
    }
  }
  // Under the gate a step that ran leaves the copy to the scan result, which records it on the state
  // row when that row holds the scanned content. A clean result handled elsewhere (another
  // invocation) between this upload row and this state row made the copy but could not record it:
  // one Query of the content's scans finds it, and the copy is brought up and recorded here.
  if (deps.scanGate && deps.copySync && fresh?.status === 'STORED' && state.outcome === 'advanced') {
    await syncCopy(deps.copySync, change, event, true, delivery, deps, keys);
  }
}

/**
 * A malware scan result: recorded on the upload row of exactly the scanned version (bucket, key,
 * eTag, versionId). Malware makes the row `REJECTED` and is never copied; under the gate a clean
 * result copies the object, if that content is still its current one. The same result again
 * changes nothing; a result before its upload row is retried until the row exists.
 */
async function handleScanResult(
  scan: ScanResult,
  deps: RecordScope,
  delivery: Delivery,
  keys: LogKeys,
): Promise<void> {
  if (deps.watchedBuckets && !deps.watchedBuckets.includes(scan.bucket)) {
    deps.metrics.count('ForeignEventsIgnored');
    deps.logger.warn('scan result for a bucket this stack does not watch ignored', {
      ...keys,
      bucket: scan.bucket,
    });
    return;
  }
  const verdict = scanVerdict(scan, deps.scanFailureAction ?? 'hold');
  const pk = objectPk(scan.bucket, scan.key);
  if (verdict === 'clean' && deps.scanTagCheck && !(await scanTagAgrees(scan, deps, keys))) return;
  const recorded = await deps.log.recordScan({
    pk,
    sk: uploadSk(scan.eTag, scan.versionId),
    scanStatus: scan.status,
    scanResult: scan.result,
    scanThreats: scan.threats,
    scannedAt: scan.scannedAt,
    ...(verdict === 'infected' && { rejectReason: malwareReason(scan.threats) }),
  });
  if (recorded.outcome === 'missing') {
    throw new ScanBeforeUploadError(
      `scan result for ${pk} (eTag ${scan.eTag}${scan.versionId ? `, version ${scan.versionId}` : ''}) before its upload row; retried until the row is written`,
    );
  }
  if (recorded.outcome !== 'recorded') {
    deps.metrics.count('DuplicatesSkipped');
    deps.logger.debug('scan result already recorded', keys);
    return;
  }
  // Counted by the write that recorded it, at once (as removals are): a retry finds it recorded.
  deps.countNow('ScansRecorded');
  if (verdict === 'infected') {
    deps.countNow('ThreatsFound');
    deps.logger.warn('malware found: the upload is rejected and not copied', {
      ...keys,
      threats: scan.threats,
      versionId: scan.versionId,
    });
    return;
  }
  if (verdict === 'held') {
    deps.countNow('ScansHeld');
    deps.logger.warn('malware scan did not complete: the object is held, not copied', {
      ...keys,
      scanStatus: scan.status,
      scanResult: scan.result,
    });
    return;
  }
  const row = recorded.row;
  if (!deps.scanGate || !deps.copyDestinationBucket || row.status !== 'STORED') return;
  // The copy follows the current content: If-Match on the scanned eTag fails when it was overwritten or deleted.
  const { result, copiedTo } = await copyCurrentContent(
    {
      bucket: scan.bucket,
      key: scan.key,
      eTag: scan.eTag,
      ...(typeof row.size === 'number' && { size: row.size }),
    },
    deps.objects,
    deps.copyDestinationBucket,
    delivery.copyDeadline,
  );
  if (result === 'copied') await deps.log.markCopiedIfCurrent(pk, scan.eTag, copiedTo);
  else if (result === 'archived' || result === 'out-of-time') deps.metrics.count('CopiesSkipped');
  deps.logger.info('scan result recorded: clean', { ...keys, copy: result });
}

/**
 * Whether a result that would let an object through is GuardDuty's own: the scanned version must
 * carry GuardDuty's tag with the same result. No tag yet: retried (`ScanTagPendingError`). Another
 * result in the tag: the event is not believed (`ScanResultsUntrusted`, alarmed), the row is left as
 * it is and nothing is copied. Content no longer there (a deleted version, an overwritten unversioned
 * object) cannot be confirmed: the result is not recorded.
 */
async function scanTagAgrees(scan: ScanResult, deps: RecordScope, keys: LogKeys): Promise<boolean> {
  const tags = await deps.objects.tagsOf({
    bucket: scan.bucket,
    key: scan.key,
    ...(scan.versionId !== undefined ? { versionId: scan.versionId } : { ifMatchETag: scan.eTag }),
  });
  const check = checkScanTag(tags, scan);
  if (check === 'gone') {
    // Nothing of it is left to copy, and nothing can confirm the result: it is not recorded, so no
    // later copy of the same content is cleared by it (the row's scan check finds the content gone).
    deps.logger.info('scan result for content no longer there: not recorded', {
      ...keys,
      result: scan.result,
    });
    return false;
  }
  if (check === 'pending') {
    throw new ScanTagPendingError(
      `scan result ${scan.result} for s3://${scan.bucket}/${scan.key} before GuardDuty's ${GUARDDUTY_SCAN_TAG} tag on it; retried until the tag is there`,
    );
  }
  if (check === 'contradicted') {
    deps.countNow('ScanResultsUntrusted');
    deps.logger.error(
      "scan result not believed: GuardDuty's tag on the object says otherwise; nothing recorded or copied",
      {
        ...keys,
        result: scan.result,
        tag: tags === 'gone' ? undefined : tags[GUARDDUTY_SCAN_TAG],
        versionId: scan.versionId,
      },
    );
    return false;
  }
  return true;
}

/**
 * The worker's own delayed check of a pending scan: a row still `PENDING` whose content is still
 * there counts `ScansOverdue` (alarmed) and is logged with how long it has waited. It reads, and
 * never changes, the row.
 */
async function handleScanCheck(check: ScanCheck, deps: RecordScope, keys: LogKeys): Promise<void> {
  const sk = uploadSk(check.eTag, check.versionId);
  const rows = await deps.log.rowsOfContent(objectPk(check.bucket, check.key), check.eTag);
  const row = rows.find((candidate) => candidate.sk === sk);
  if (row?.scanStatus !== 'PENDING') return;
  // Content deleted or overwritten before its scan came: nothing of it can be copied, nothing is overdue.
  const head = await deps.objects.head({
    bucket: check.bucket,
    key: check.key,
    ...(check.versionId !== undefined && { versionId: check.versionId }),
  });
  if (!head || head.eTag !== check.eTag) {
    deps.logger.info('pending scan of content no longer there: nothing to copy', {
      ...keys,
      eTag: check.eTag,
    });
    return;
  }
  deps.countNow('ScansOverdue');
  deps.logger.error('malware scan overdue: no scan result for this upload yet; it is not copied', {
    ...keys,
    eTag: check.eTag,
    versionId: check.versionId,
    pendingSince: check.pendingSince,
    waitedSeconds: Math.round((deps.now() - Date.parse(check.pendingSince)) / 1000),
  });
}

async function handleRemoved(
  event: ObjectEvent,
  deps: RecordScope,
  delivery: Delivery,
  keys: LogKeys,
): Promise<void> {
  // In a versioned bucket, removing one version or a delete marker can leave or restore a current
  // version: ask S3 what is current now instead of assuming the object is gone.
  const current = removalLeavesNothing(event)
    ? undefined
    : await deps.objects.head({ bucket: event.bucket, key: event.key });
  const change = buildStateChange(event, deps.now(), current);
  const state = await deps.log.advanceState(change);
  if (state.outcome === 'stale') {
    deps.metrics.count('StaleEventsIgnored');
    deps.logger.info('older event ignored for the state row', { ...keys, sequencer: event.sequencer });
    return;
  }
  const changed = state.outcome === 'advanced';
  if (change.status === 'DELETED') {
    // Counted by the write that made it, at once: the same removal delivered again, or retried
    // with a message another record of which failed, changes nothing and counts nothing.
    if (changed) {
      deps.countNow('ObjectsRemoved');
      deps.logger.info('object removed', { ...keys, eventName: event.eventName });
    }
    return;
  }
  if (changed) {
    deps.logger.info('a version was removed; the object is still present', {
      ...keys,
      eventName: event.eventName,
      versionId: change.versionId,
    });
  }
  // Also on a redelivery: if the first delivery's copy failed, this one makes it.
  if (deps.copySync && change.eTag !== undefined && copyNeedsSync(change, state.outcome, state.previous)) {
    await syncCopy(
      deps.copySync,
      change,
      {
        bucket: event.bucket,
        key: event.key,
        eTag: change.eTag,
        ...(change.size !== undefined && { size: change.size }),
      },
      false,
      delivery,
      deps,
      keys,
    );
  }
}

async function syncCopy(
  copySync: CopySync,
  change: StateChange,
  target: { bucket: string; key: string; eTag: string; size?: number },
  knownAccepted: boolean,
  delivery: Delivery,
  deps: RecordScope,
  keys: LogKeys,
): Promise<void> {
  const result = await copySync(target, change.sequencerKey, knownAccepted, delivery.copyDeadline);
  if (result === 'pending-scan') {
    deps.logger.info('copy waits for the malware scan of the current content', keys);
    return;
  }
  if (result === 'archived' || result === 'out-of-time') deps.metrics.count('CopiesSkipped');
  deps.logger.info('copy brought up to the current version', { ...keys, result });
}

function countNewRow(
  outcome: IngestOutcome,
  recorder: MetricsRecorder,
  deps: RecordScope,
  keys: LogKeys,
): void {
  recorder.latency(outcome.ingestLatencyMs);
  if (outcome.copySkipped) {
    recorder.count('CopiesSkipped');
    deps.logger.warn('object recorded without its copy', { ...keys, reason: outcome.reason });
  }
  if (outcome.status === 'STORED') {
    recorder.count('ObjectsIngested');
    deps.logger.debug('object ingested', { ...keys, copiedTo: outcome.copiedTo });
  } else {
    recorder.count(outcome.status === 'REJECTED' ? 'ObjectsRejected' : 'ObjectsGone');
    deps.logger.info(`object recorded as ${outcome.status}`, { ...keys, reason: outcome.reason });
  }
}
