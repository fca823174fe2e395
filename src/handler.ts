import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from './adapters/object-store.js';
import { DynamoDbUploadLog } from './adapters/upload-log.js';
import { loadConfig } from './config.js';
import { createWorkerHandler } from './worker/create-handler.js';

// Built once per cold start and reused by every invocation of this execution environment.
const config = loadConfig();
const dynamoDbClient = new DynamoDBClient({});
const s3Client = new S3Client({});

/** The Lambda entry point: SQS event source with `ReportBatchItemFailures`. */
export const handler = createWorkerHandler({
  config,
  objects: new S3ObjectStore(s3Client),
  log: new DynamoDbUploadLog(dynamoDbClient, config.uploadLogTable),
  dynamoDbClient,
});
