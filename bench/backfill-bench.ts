/**
 * `npm run bench:backfill -- [--objects N] [--concurrency C] [--out FILE.json]`: puts N objects
 * (default 20,000) into a bucket of the local stack, backfills them, measures the same stack's raw
 * SendMessageBatch rate in the same run, then lets the worker drain the queue and checks that every
 * object has exactly one upload row. Prints and writes JSON: objects, objectsPerSec,
 * rawEnqueuePerSec, ratio, headCalls, listCalls, sendCalls, rowsVerified. Numbers go in the
 * README, never into test assertions.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AwsCallCounter, difference } from '../loadtest/aws-call-counter.js';
import { S3ObjectStore } from '../src/adapters/object-store.js';
import { DynamoDbUploadLog } from '../src/adapters/upload-log.js';
import { forEachLimited } from '../src/concurrency.js';
import { EventSourcePoller } from '../src/local/event-source-poller.js';
import { startLocalStack } from '../src/local/stack.js';
import { waitFor } from '../src/local/wait.js';
import { IngestMetrics, logger } from '../src/observability.js';
import { backfill } from '../src/tools/backfill.js';
import { queueDepth } from '../src/tools/dlq-operations.js';
import { createWorkerHandler } from '../src/worker/create-handler.js';

const BUCKET = 'backfill-bench';
process.env.AWS_LAMBDA_FUNCTION_NAME ??= 's3-ingest-bench';
logger.setLogLevel('ERROR');

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '8' },
    out: { type: 'string', default: 'backfill-bench.json' },
  },
});
const objects = Number(values.objects);
const concurrency = Number(values.concurrency);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const say = (text: string) => process.stderr.write(`${text}\n`);

// The worker is started only after the backfill, so the backfill is measured alone.
const stack = await startLocalStack({
  s3Port: 0,
  dynamodbPort: 0,
  worker: false,
  visibilityTimeoutSeconds: 30,
});
try {
  const { s3, sqs } = stack.clients;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  say(`putting ${objects} objects into s3://${BUCKET} (100 prefixes)...`);
  const keys = Array.from({ length: objects }, (_, i) => `p${String(i % 100).padStart(2, '0')}/${i}.txt`);
  await forEachLimited(keys, 32, async (key) => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
  });

  // The same stack's raw enqueue rate: the same number of notifications, SendMessageBatch, same concurrency.
  const scratch = await sqs.send(new CreateQueueCommand({ QueueName: 'backfill-bench-scratch' }));
  const body = JSON.stringify({ note: 'raw enqueue measurement', padding: 'x'.repeat(900) });
  const chunks = Array.from({ length: Math.ceil(objects / 10) }, (_, i) => i);
  const rawStarted = performance.now();
  await forEachLimited(chunks, concurrency, async () => {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: scratch.QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
  });
  const rawEnqueuePerSec = objects / ((performance.now() - rawStarted) / 1000);

  const calls = new AwsCallCounter();
  calls.attach(s3, 'S3');
  calls.attach(sqs, 'SQS');
  const before = calls.snapshot();
  say('backfilling...');
  const started = performance.now();
  const result = await backfill({
    s3,
    sqs,
    bucket: BUCKET,
    queueUrl: stack.queues.ingest.url,
    region: stack.description.region,
    concurrency,
  });
  const objectsPerSec = result.enqueued / ((performance.now() - started) / 1000);
  const counted = difference(calls.snapshot(), before);

  say('draining through the worker...');
  const handler = createWorkerHandler({
    config: stack.workerConfig,
    objects: new S3ObjectStore(stack.clients.s3),
    log: new DynamoDbUploadLog(stack.clients.dynamodb, stack.workerConfig.uploadLogTable),
    dynamoDbClient: stack.clients.dynamodb,
    metrics: new IngestMetrics({ write: () => undefined }),
  });
  const poller = new EventSourcePoller({
    sqs,
    queueUrl: stack.queues.ingest.url,
    queueArn: stack.queues.ingest.arn,
    handler,
    region: stack.description.region,
    functionTimeoutMs: 30_000,
    concurrency: 8,
  });
  poller.start();
  await waitFor(
    'the worker to drain the backfill',
    async () => {
      const depth = await queueDepth(sqs, stack.queues.ingest.url);
      return depth.visible + depth.inFlight === 0;
    },
    { timeoutMs: 3_600_000, intervalMs: 1000 },
  );
  await poller.stop();
  const rows = new Map<string, number>();
  const documents = DynamoDBDocumentClient.from(stack.clients.dynamodb);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: stack.workerConfig.uploadLogTable,
        ...(start && { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.bucket === BUCKET && item.sk !== 'STATE')
        rows.set(String(item.key), (rows.get(String(item.key)) ?? 0) + 1);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const rowsVerified = keys.filter((key) => rows.get(key) === 1).length;

  const report = {
    objects,
    concurrency,
    partitions: result.partitions,
    objectsPerSec: round(objectsPerSec),
    rawEnqueuePerSec: round(rawEnqueuePerSec),
    ratio: round(objectsPerSec / rawEnqueuePerSec, 3),
    headCalls: counted['S3.HeadObject'] ?? 0,
    listCalls: (counted['S3.ListObjectsV2'] ?? 0) + (counted['S3.ListObjectVersions'] ?? 0),
    sendCalls: counted['SQS.SendMessageBatch'] ?? 0,
    rowsVerified,
    everyObjectOneRow: rowsVerified === objects && [...rows.values()].every((n) => n === 1),
    node: process.version,
    at: new Date().toISOString(),
  };
  writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!report.everyObjectOneRow) process.exitCode = 1;
} finally {
  await stack.stop();
}
