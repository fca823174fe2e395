import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from './adapters/object-store.js';
import { SqsScanChecks } from './adapters/scan-checks.js';
import { functionSqsClient } from './adapters/sqs-client.js';
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
  // Under the malware-scan gate: the delayed check of each pending scan.
  ...(config.malwareScanGate &&
    config.scanCheckQueueUrl !== undefined && {
      scanChecks: new SqsScanChecks(
        functionSqsClient(),
        config.scanCheckQueueUrl,
        config.scanDeadlineSeconds,
      ),
    }),
});
