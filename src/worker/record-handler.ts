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
} from '../core/log-items.js';
import type { CreatedObjectEvent, ObjectEvent } from '../core/types.js';
import type { IngestMetrics } from '../observability.js';
import type { CopySync } from './copy-sync.js';
import type { IngestCall, IngestOutcome } from './ingest-object.js';
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
}

type LogKeys = { messageId: string; objectUri?: string };

/**
 * When a copy must be done by: the invocation's end, less a reserve for writing the rows after
 * it (2 s, or a fifth of what is left when less than 10 s is).
 */
export function copyDeadlineOf(context: Context | undefined, now: number): number | undefined {
  if (!context) return undefined;
  const remaining = context.getRemainingTimeInMillis();
  return now + remaining - Math.min(2_000, remaining / 5);
}

/** Where one delivery of a record stands: its message, and whether SQS delivered it before. */
interface Delivery {
  readonly messageId: string;
  readonly redelivered: boolean;
  readonly copyDeadline?: number;
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
      redelivered: Number(record.attributes?.ApproximateReceiveCount ?? '1') > 1,
      ...(copyDeadline !== undefined && { copyDeadline }),
    };
    try {
      const message = parseMessageBody(record.body);
      if (message.type === 'test-event') {
        deps.metrics.count('TestEventsSkipped');
        deps.logger.info('s3:TestEvent acknowledged', keys);
        return;
      }
      // In message order: a message may hold several events for the same key.
      for (const event of message.events) {
        keys.objectUri = objectPk(event.bucket, event.key);
        if (event.kind === 'created' && event.eTag !== undefined) {
          await handleCreated(
            { ...event, kind: 'created', eTag: event.eTag },
            deps,
            serializer,
            delivery,
            keys,
          );
        } else {
          await handleRemoved(event, deps, delivery, keys);
        }
      }
    } catch (error) {
      deps.metrics.count('RecordsFailed');
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
        // Another invocation is working on the same object right now; the redelivery will find its result.
        deps.logger.info('same object in progress elsewhere; SQS will deliver this record again', {
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

async function handleCreated(
  event: CreatedObjectEvent,
  deps: RecordHandlerDependencies,
  serializer: KeyedSerializer,
  delivery: Delivery,
  keys: LogKeys,
): Promise<void> {
  const idempotencyKey = idempotencyKeyOf(event);
  const execution: Execution = {
    messageId: delivery.messageId,
    ...(delivery.copyDeadline !== undefined && { copyDeadline: delivery.copyDeadline }),
  };
  let outcome: IngestOutcome;
  try {
    outcome = await serializer.run(idempotencyKey, () => deps.ingest(idempotencyKey, event, execution));
  } finally {
    // Counted when the row is written, even if saving the idempotency record then fails: the
    // retry finds the row and must not be the only count, nor count it as a duplicate.
    if (execution.outcome?.written) countNewRow(execution.outcome, deps, keys);
  }
  // This message already did the work on an earlier receive (another record of it failed, or the
  // idempotency record could not be saved): nothing new happened, so nothing is counted again.
  const ownRetry = execution.outcome
    ? !execution.outcome.written && delivery.redelivered
    : outcome.messageId === delivery.messageId;
  if (!execution.outcome?.written && !ownRetry) {
    deps.metrics.count('DuplicatesSkipped');
    deps.logger.debug('duplicate event skipped', keys);
  }

  const copiedNow = execution.outcome?.copiedTo;
  const change = {
    ...buildStateChange(event, deps.now()),
    ...(copiedNow !== undefined && { copiedTo: copiedNow }),
  };
  const state = await deps.log.advanceState(change);
  if (state.outcome === 'stale' && !ownRetry) {
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
}

async function handleRemoved(
  event: ObjectEvent,
  deps: RecordHandlerDependencies,
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
    // Counted once: the same removal delivered again changes nothing.
    if (changed) {
      deps.metrics.count('ObjectsRemoved');
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
  deps: RecordHandlerDependencies,
  keys: LogKeys,
): Promise<void> {
  const result = await copySync(target, change.sequencerKey, knownAccepted, delivery.copyDeadline);
  if (result === 'archived' || result === 'out-of-time') deps.metrics.count('CopiesSkipped');
  deps.logger.info('copy brought up to the current version', { ...keys, result });
}

function countNewRow(outcome: IngestOutcome, deps: RecordHandlerDependencies, keys: LogKeys): void {
  deps.metrics.latency(outcome.ingestLatencyMs);
  if (outcome.copySkipped) {
    deps.metrics.count('CopiesSkipped');
    deps.logger.warn('object recorded without its copy', { ...keys, reason: outcome.reason });
  }
  if (outcome.status === 'STORED') {
    deps.metrics.count('ObjectsIngested');
    deps.logger.debug('object ingested', { ...keys, copiedTo: outcome.copiedTo });
  } else {
    deps.metrics.count(outcome.status === 'REJECTED' ? 'ObjectsRejected' : 'ObjectsGone');
    deps.logger.info(`object recorded as ${outcome.status}`, { ...keys, reason: outcome.reason });
  }
}
