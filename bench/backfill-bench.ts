/**
 * `npm run bench:backfill -- [--objects N] [--concurrency C] [--out FILE.json]`: puts N objects
 * (default 20,000) into a bucket of the local stack, backfills them, measures the same stack's raw
 * SendMessageBatch rate in the same run, then lets the worker drain the queue and checks that every
 * object has exactly one upload row. Prints and writes JSON: objects, objectsPerSec,
 * rawEnqueuePerSec, ratio, headCalls, listCalls, sendCalls, rowsVerified. Numbers go in the
 * docs (docs/operating.md), never into test assertions.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { S3ObjectStore } from '../src/adapters/object-store.js';
import { DynamoDbUploadLog } from '../src/adapters/upload-log.js';
import { forEachLimited } from '../src/concurrency.js';
import { EventSourcePoller } from '../src/local/event-source-poller.js';
import { startLocalStack } from '../src/local/stack.js';
import { waitFor } from '../src/local/wait.js';
import { IngestMetrics, logger } from '../src/observability.js';
import { queueDepth } from '../src/tools/dlq-operations.js';
import { createWorkerHandler } from '../src/worker/create-handler.js';
import type { ClientJob, ClientResult } from './backfill-client.js';
import { benchKey } from './backfill-keys.js';

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

const CLIENT = fileURLToPath(new URL('./backfill-client.ts', import.meta.url));

/** Runs one measurement in a process of its own (see backfill-client.ts). */
async function runClient(job: ClientJob): Promise<ClientResult & { stackBusy: number }> {
  const before = performance.eventLoopUtilization();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      // BENCH_CPU_PROFILE_DIR=DIR writes each client's CPU profile there (open it in Chrome's DevTools).
      ...(process.env.BENCH_CPU_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`]
        : []),
      '--import',
      'tsx',
      CLIENT,
      JSON.stringify(job),
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, maxBuffer: 1 << 20 },
  );
  // How busy the stack's event loop (this process: S3 and SQS) was while the client ran.
  const stackBusy = performance.eventLoopUtilization(before).utilization;
  return { ...(JSON.parse(stdout) as ClientResult), stackBusy };
}

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
  const keys = Array.from({ length: objects }, (_, i) => benchKey(i));
  await forEachLimited(keys, 32, async (key) => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
  });

  // The raw enqueue rate of the same stack, in the same run: the same notifications a backfill
  // sends (built before the clock starts), with SendMessageBatch at the same concurrency, from a
  // process of its own like the backfill's (so each is measured as a client of the stack, not
  // sharing its event loop).
  const scratch = await sqs.send(new CreateQueueCommand({ QueueName: 'backfill-bench-scratch' }));
  const job = { stack: stack.description, bucket: BUCKET, objects, concurrency };
  say('measuring the raw SendMessageBatch rate...');
  const raw = await runClient({ ...job, mode: 'raw', queueUrl: scratch.QueueUrl ?? '' });
  const rawEnqueuePerSec = raw.sent / raw.seconds;

  say('backfilling...');
  const result = await runClient({ ...job, mode: 'backfill', queueUrl: stack.queues.ingest.url });
  const objectsPerSec = result.sent / result.seconds;
  const counted = result.calls;

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
    enqueued: result.sent,
    objectsPerSec: round(objectsPerSec),
    rawEnqueuePerSec: round(rawEnqueuePerSec),
    ratio: round(objectsPerSec / rawEnqueuePerSec, 3),
    headCalls: counted['S3.HeadObject'] ?? 0,
    // The listing thread's calls are not on the counted client: the backfill counts its own.
    listCalls: result.listCalls ?? 0,
    sendCalls: counted['SQS.SendMessageBatch'] ?? 0,
    rowsVerified,
    // Where each phase spent its time: the client's CPU per second of the run (all its threads),
    // and the share of the time the client's main event loop and the stack's were busy. An event
    // loop near 1 is the limit of that phase.
    busy: {
      raw: {
        client: round(raw.cpuSeconds / raw.seconds),
        clientEventLoop: round(raw.elu),
        stack: round(raw.stackBusy),
      },
      backfill: {
        client: round(result.cpuSeconds / result.seconds),
        clientEventLoop: round(result.elu),
        stack: round(result.stackBusy),
      },
    },
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
