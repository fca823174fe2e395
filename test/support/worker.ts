import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { S3ObjectStore } from '../../src/adapters/object-store.js';
import { DynamoDbUploadLog } from '../../src/adapters/upload-log.js';
import { loadConfig } from '../../src/config.js';
import { createWorkerHandler } from '../../src/worker/create-handler.js';
import type { ScanChecks } from '../../src/worker/ingest-object.js';

/** The worker's required settings, with the table names the fake AWS answers for. */
export const BASE_ENV = { UPLOAD_LOG_TABLE: 'upload-log', IDEMPOTENCY_TABLE: 'idempotency' };

/**
 * The real worker handler on real SDK clients, configured as the Lambda would be from `env`;
 * what the clients reach is whatever the test installed (the fake AWS of `installFakeAws`).
 */
export function buildWorkerHandler(
  env: Record<string, string> = {},
  logger?: Logger,
  scanChecks?: ScanChecks,
) {
  const config = loadConfig({ ...BASE_ENV, ...env });
  const dynamoDbClient = new DynamoDBClient({ region: 'us-east-1' });
  return createWorkerHandler({
    config,
    objects: new S3ObjectStore(new S3Client({ region: 'us-east-1' })),
    log: new DynamoDbUploadLog(dynamoDbClient, config.uploadLogTable),
    dynamoDbClient,
    ...(logger && { logger }),
    ...(scanChecks && { scanChecks }),
  });
}

/** Message ids of the records a batch response asks SQS to deliver again. */
export const failedIds = (response: SQSBatchResponse) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);
