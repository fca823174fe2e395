import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { UploadLog } from '../adapters/upload-log.js';
import { parseMessageBody } from '../core/envelope.js';
import { buildStateChange, idempotencyKeyOf, objectPk } from '../core/log-items.js';
import type { CreatedObjectEvent, ObjectEvent } from '../core/types.js';
import type { IngestMetrics } from '../observability.js';
import type { IngestOutcome } from './ingest-object.js';
import type { KeyedSerializer } from './keyed-serializer.js';

/** Set by the step when it really runs, so that a stored result can be told from a fresh one. */
export interface Execution {
  ran: boolean;
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
  readonly log: UploadLog;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly now: () => number;
}

type LogKeys = { messageId: string; objectUri?: string };

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
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    const keys: LogKeys = { messageId: record.messageId };
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
        await handleObjectEvent(event, deps, serializer, keys);
      }
    } catch (error) {
      deps.metrics.count('RecordsFailed');
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
        // Another invocation is working on the same object right now; the redelivery will find its result.
        deps.logger.warn('same object in progress elsewhere; SQS will deliver this record again', {
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

async function handleObjectEvent(
  event: ObjectEvent,
  deps: RecordHandlerDependencies,
  serializer: KeyedSerializer,
  keys: LogKeys,
): Promise<void> {
  if (event.kind === 'created' && event.eTag !== undefined) {
    const created: CreatedObjectEvent = { ...event, kind: 'created', eTag: event.eTag };
    const idempotencyKey = idempotencyKeyOf(created);
    const execution: Execution = { ran: false };
    const outcome = await serializer.run(idempotencyKey, () =>
      deps.ingest(idempotencyKey, created, execution),
    );
    countOutcome(outcome, execution, deps, keys);
  }
  const state = await deps.log.advanceState(buildStateChange(event, deps.now()));
  if (state === 'stale') {
    deps.metrics.count('StaleEventsIgnored');
    deps.logger.info('older event ignored for the state row', { ...keys, sequencer: event.sequencer });
  } else if (event.kind === 'removed') {
    deps.metrics.count('ObjectsRemoved');
    deps.logger.info('object removed', { ...keys, eventName: event.eventName });
  }
}

function countOutcome(
  outcome: IngestOutcome,
  execution: Execution,
  deps: RecordHandlerDependencies,
  keys: LogKeys,
): void {
  if (!execution.ran || !outcome.written) {
    deps.metrics.count('DuplicatesSkipped');
    deps.logger.debug('duplicate event skipped', keys);
    return;
  }
  deps.metrics.latency(outcome.ingestLatencyMs);
  if (outcome.status === 'STORED') {
    deps.metrics.count('ObjectsIngested');
    deps.logger.debug('object ingested', { ...keys, copiedTo: outcome.copiedTo });
  } else {
    deps.metrics.count(outcome.status === 'REJECTED' ? 'ObjectsRejected' : 'ObjectsGone');
    deps.logger.info(`object recorded as ${outcome.status}`, { ...keys, reason: outcome.reason });
  }
}
