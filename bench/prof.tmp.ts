/**
 * `npm run bench`: CPU time per record through the real handler with in-memory S3 and DynamoDB
 * (aws-sdk-client-mock fakes; no network), the minified Lambda bundle's size, and its cold import
 * time, and the console's page weight. Prints a table; numbers go in docs/performance.md, never into test assertions.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import {
  WORKER_ENTRY,
  WORKER_ESM_BANNER,
  WORKER_EXTERNAL_MODULES,
  WORKER_MAIN_FIELDS,
  WORKER_TARGET,
} from '../infra/worker-bundling.js';
import { S3ObjectStore } from '../src/adapters/object-store.js';
import { DynamoDbUploadLog } from '../src/adapters/upload-log.js';
import { loadConfig } from '../src/config.js';
import { consolePageWeight } from '../src/console/page-weight.js';
import { IngestMetrics, logger } from '../src/observability.js';
import { createWorkerHandler } from '../src/worker/create-handler.js';
import { lambdaContext, s3Notification, s3Record, sqsEvent, sqsRecord } from '../test/support/factories.js';
import { InMemoryAws } from '../test/support/in-memory-aws.js';

const TARGETS = { cpuMsPerRecord: 0.2, bundleKb: 600, importMs: 150, consoleKb: 150 };
process.env.AWS_LAMBDA_FUNCTION_NAME ??= 's3-ingest-bench';
logger.setLogLevel('ERROR');

/**
 * `ports`: S3 and the log behind in-memory ports, Powertools' table behind a client whose `send`
 * answers from memory: the cost of the worker's own code and Powertools.
 * `sdk`: real SDK clients answered right after request serialization: adds what the SDK's
 * middleware, marshalling and serialization cost per call (5 calls per new object).
 */
async function cpuPerRecord(
  batchSize: number,
  batches: number,
  mode: 'ports' | 'sdk',
): Promise<{ cpuMs: number; wallMs: number }> {
  const fake = new InMemoryAws('idempotency');
  // BENCH_CONTENT_CHECKS=false measures the worker without its content read, for comparison.
  const config = loadConfig({
    UPLOAD_LOG_TABLE: 'log',
    IDEMPOTENCY_TABLE: 'idempotency',
    CONTENT_CHECKS: process.env.BENCH_CONTENT_CHECKS ?? 'true',
  });
  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
  const dynamoDbClient = new DynamoDBClient({ region: 'us-east-1', credentials });
  const s3Client = new S3Client({ region: 'us-east-1', credentials });
  if (mode === 'sdk') fake.attach({ s3: s3Client, dynamodb: dynamoDbClient });
  else fake.bindSend(dynamoDbClient);
  const handler = createWorkerHandler({
    config,
    objects: mode === 'sdk' ? new S3ObjectStore(s3Client) : fake.objectStore(),
    log: mode === 'sdk' ? new DynamoDbUploadLog(dynamoDbClient, config.uploadLogTable) : fake.uploadLog(),
    dynamoDbClient,
    metrics: new IngestMetrics({ write: () => undefined }),
  });
  let n = 0;
  // What content checks read of each object: a PNG's first bytes, its header chunk and then its
  // image data, as a real file has them (the detector runs on every record).
  const SAMPLE = new Uint8Array(4100);
  SAMPLE.set([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 1,
    0, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0x0f, 0xc0, 0x49, 0x44, 0x41, 0x54,
  ]);
  const makeBatch = () =>
    sqsEvent(
      ...Array.from({ length: batchSize }, () => {
        n += 1;
        const key = `bench/${n}.bin`;
        const eTag = n.toString(16).padStart(32, '0');
        fake.putObject('uploads', key, {
          eTag,
          size: 1024,
          contentType: 'application/octet-stream',
          body: SAMPLE,
        });
        return sqsRecord(
          s3Notification(s3Record({ key, eTag, size: 1024, sequencer: n.toString(16).padStart(18, '0') })),
        );
      }),
    );
  // Warm up the JIT and the SDK's lazy paths before measuring.
  for (let i = 0; i < 20; i++) await handler(makeBatch(), lambdaContext());
  const events = Array.from({ length: batches }, makeBatch);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (const event of events) {
    const response = await handler(event, lambdaContext());
    if (response.batchItemFailures.length > 0) throw new Error('bench batch had failures');
  }
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  const records = batchSize * batches;
  if (fake.uploadRows().length !== n)
    throw new Error(`expected ${n} rows, found ${fake.uploadRows().length}`);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / records, wallMs: wallMs / records };
}


for (let i = 0; i < 3; i++) console.log(process.env.BENCH_CONTENT_CHECKS, await cpuPerRecord(10, 2000, 'ports'));
