import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from './adapters/object-store.js';
import { functionSqsClient } from './adapters/sqs-client.js';
import { loadBackfillFunctionConfig } from './config.js';
import { createBatchBackfillHandler } from './worker/batch-backfill.js';

// Built once per cold start and reused by every invocation of this execution environment.
const config = loadBackfillFunctionConfig();

/** The optional backfill function's entry point: S3 Batch Operations LambdaInvoke (schema 1.0 or 2.0). */
export const handler = createBatchBackfillHandler({
  objects: new S3ObjectStore(new S3Client({})),
  sqs: functionSqsClient(),
  ingestQueueUrl: config.ingestQueueUrl,
  region: config.region,
});
