import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ObjectStore } from '../adapters/object-store.js';
import type { UploadLog } from '../adapters/upload-log.js';
import type { WorkerConfig } from '../config.js';
import type { CreatedObjectEvent } from '../core/types.js';
import { logger as defaultLogger, IngestMetrics } from '../observability.js';
import { createCopySync } from './copy-sync.js';
import { ingestObject, type ScanChecks } from './ingest-object.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { createRecordHandler, type Execution } from './record-handler.js';

/** Stable prefix of idempotency keys, so renaming the function does not forget completed work. */
export const IDEMPOTENCY_KEY_PREFIX = 's3-ingest';

/** Everything the worker is built from; the Lambda entry point and the local stack pass their own. */
export interface WorkerDependencies {
  readonly config: WorkerConfig;
  readonly objects: ObjectStore;
  readonly log: UploadLog;
  /** Client of the idempotency table (Powertools persistence layer). */
  readonly dynamoDbClient: DynamoDBClient;
  /** @default a new instance publishing to the `S3Ingest` namespace */
  readonly metrics?: IngestMetrics;
  /** @default the shared worker logger */
  /** Sends the delayed check of each pending scan (the malware-scan gate). @default no checks */
  readonly scanChecks?: ScanChecks;
  readonly logger?: Logger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** The worker: SQS batch in, partial batch response out. */
export type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the worker's SQS handler. Each failed record is reported in `batchItemFailures`
 * and affects no other; metrics are published at the end of every invocation, also when it throws.
 *
 * @example export const handler = createWorkerHandler({ config, objects, log, dynamoDbClient });
 */
export function createWorkerHandler(deps: WorkerDependencies): WorkerHandler {
  const { config } = deps;
  const metrics = deps.metrics ?? new IngestMetrics();
  const logger = deps.logger ?? defaultLogger;
  const now = deps.now ?? Date.now;
  const idempotencyConfig = new IdempotencyConfig({
    expiresAfterSeconds: config.idempotencyTtlSeconds,
    throwOnNoIdempotencyKey: true,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: config.idempotencyTable,
    awsSdkV3Client: deps.dynamoDbClient,
  });
  const ports = { objects: deps.objects, log: deps.log, now };
  const settings = {
    validation: config.validation,
    contentChecks: config.contentChecks,
    malwareScanGate: config.malwareScanGate,
    ...(config.malwareScanGate && deps.scanChecks && { scanChecks: deps.scanChecks }),
    ...(config.copyDestinationBucket !== undefined && {
      copyDestinationBucket: config.copyDestinationBucket,
    }),
    rowOptions: {
      gsiShardCount: config.gsiShardCount,
      ...(config.retentionDays !== undefined && { retentionDays: config.retentionDays }),
    },
  };
  const ingest = makeIdempotent(
    async (_idempotencyKey: string, event: CreatedObjectEvent, execution: Execution) => {
      const outcome = await ingestObject(event, ports, settings, execution);
      execution.outcome = outcome;
      return outcome;
    },
    { persistenceStore, config: idempotencyConfig, keyPrefix: IDEMPOTENCY_KEY_PREFIX, dataIndexArgument: 0 },
  );
  const recordDeps = {
    ingest,
    objects: deps.objects,
    log: deps.log,
    ...(config.copyDestinationBucket !== undefined && {
      copySync: createCopySync(
        deps.objects,
        deps.log,
        config.copyDestinationBucket,
        config.validation,
        config.contentChecks,
        config.malwareScanGate ? { failureAction: config.scanFailureAction } : undefined,
      ),
    }),
    ...(config.copyDestinationBucket !== undefined && {
      copyDestinationBucket: config.copyDestinationBucket,
    }),
    scanGate: config.malwareScanGate,
    scanFailureAction: config.scanFailureAction,
    scanTagCheck: config.scanTagCheck,
    metrics,
    logger,
    now,
    ...(config.watchedBuckets !== undefined && { watchedBuckets: config.watchedBuckets }),
  };

  return async (event, context) => {
    // In-progress idempotency records expire with this invocation, so a crash frees them.
    idempotencyConfig.registerLambdaContext(context);
    // A processor holds one batch's results: one per invocation keeps concurrent invocations
    // (the local poller runs several in one process) apart.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(
        event,
        createRecordHandler(recordDeps, new KeyedSerializer()),
        processor,
        {
          context,
          // An all-poison batch is reported record by record like any other, not as an invocation error.
          throwOnFullBatchFailure: false,
        },
      );
    } finally {
      metrics.publish();
    }
  };
}
