import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { logger } from '../observability.js';
import { queueDepth as sqsQueueDepth } from '../tools/dlq-operations.js';
import { runDemo } from './demo.js';
import { DYNAMODB_BACKENDS, type DynamoDbBackend } from './dynamodb-server.js';
import { type LocalStack, removeStackFile, startLocalStack, writeStackFile } from './stack.js';

/** Where the stack description and the worker's metrics go; tests point it elsewhere. */
const STATE_DIR = process.env.LOCAL_STATE_DIR ?? '.local';
const STACK_FILE = join(STATE_DIR, 'stack.json');
const EMF_FILE = join(STATE_DIR, 'worker-metrics.ndjson');

const HELP = `Usage: npm start -- [options]

Runs the whole s3-ingest pipeline on this machine, on 127.0.0.1 only: S3 and SQS (fauxqs),
DynamoDB (dynalite or AWS's DynamoDB Local), the S3 -> SQS notification bridge and the worker's real handler behind a
Lambda-like poller. Writes ${STACK_FILE} for the tools; Ctrl-C stops everything.

Options (environment variable in brackets):
  --s3-port N          S3 + SQS port; 0 picks a free one [LOCAL_S3_PORT]        (default 4566)
  --dynamodb-port N    DynamoDB port; 0 picks a free one [LOCAL_DYNAMODB_PORT]   (default 8000)
  --dynamodb NAME      dynalite (in-process) or dynamodb-local (AWS's DynamoDB Local,
                       needs Java; installed by npm ci) [LOCAL_DYNAMODB_BACKEND] (default dynalite)
  --batch-size N       records per worker invocation [LOCAL_BATCH_SIZE]          (default 10)
  --batching-window N  milliseconds to fill a batch [LOCAL_BATCHING_WINDOW_MS]   (default 0)
  --concurrency N      worker invocations at once [LOCAL_CONCURRENCY]            (default 4)
  --max-receive N      receives before a message goes to the DLQ [LOCAL_MAX_RECEIVE_COUNT] (default 3)
  --demo               upload sample files (one duplicate, one rejected) and print the rows
  -h, --help           show this help

Worker settings use the Lambda's variables (BLOCKED_EXTENSIONS, ALLOWED_CONTENT_TYPES,
MAX_OBJECT_BYTES, RETENTION_DAYS, ...); locally BLOCKED_EXTENSIONS defaults to exe,bat,cmd,scr and
accepted objects are copied to the bucket uploads-private. LOCAL_STATE_DIR moves ${STACK_FILE}.`;

function intOption(value: string | undefined, envName: string, fallback: number, name: string): number {
  const raw = value ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new Error(`${name} must be a whole number, got "${raw}"`);
  return parsed;
}

const WORKER_ENV_NAMES = [
  'COPY_DESTINATION_BUCKET',
  'RETENTION_DAYS',
  'GSI_SHARD_COUNT',
  'IDEMPOTENCY_TTL_SECONDS',
  'MAX_OBJECT_BYTES',
  'ALLOWED_CONTENT_TYPES',
  'BLOCKED_EXTENSIONS',
];

async function queueDepth(stack: LocalStack, url: string): Promise<number> {
  const { visible, inFlight } = await sqsQueueDepth(stack.clients.sqs, url);
  return visible + inFlight;
}

async function statusLine(stack: LocalStack): Promise<string> {
  const totals = stack.metrics.totals();
  const dlq = await queueDepth(stack, stack.queues.dlq.url);
  return [
    `ingested ${totals.ObjectsIngested}`,
    `duplicates ${totals.DuplicatesSkipped}`,
    `rejected ${totals.ObjectsRejected}`,
    `gone ${totals.ObjectsGone}`,
    `removed ${totals.ObjectsRemoved}`,
    `failed ${totals.RecordsFailed}`,
    `DLQ depth ${dlq}`,
  ].join(' | ');
}

function printInstructions(stack: LocalStack): void {
  const { endpoints, buckets, queues, tables, region } = stack.description;
  console.log(`
s3-ingest local stack is ready (S3/SQS ${endpoints.s3}, DynamoDB ${endpoints.dynamodb} [${stack.dynamodbBackend}]).

Upload with the AWS CLI (any credentials; the region is ${region}):
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=${region}
  aws --endpoint-url ${endpoints.s3} s3 cp FILE s3://${buckets.uploads}/
  aws --endpoint-url ${endpoints.dynamodb} dynamodb scan --table-name ${tables.uploads}

Or with the SDK:
  new S3Client({ endpoint: '${endpoints.s3}', forcePathStyle: true, region: '${region}',
                 credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })

Ingest queue ${queues.ingest}
DLQ          ${queues.dlq}
Endpoints and names: ${STACK_FILE}; worker metrics (EMF): ${EMF_FILE}. Ctrl-C stops.
`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      's3-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      dynamodb: { type: 'string' },
      'batch-size': { type: 'string' },
      'batching-window': { type: 'string' },
      concurrency: { type: 'string' },
      'max-receive': { type: 'string' },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN');
  await mkdir(STATE_DIR, { recursive: true });
  const emf = createWriteStream(EMF_FILE, { flags: 'a' });
  const workerEnv = Object.fromEntries(
    WORKER_ENV_NAMES.filter((n) => process.env[n]).map((n) => [n, process.env[n]]),
  );
  const backend = values.dynamodb ?? process.env.LOCAL_DYNAMODB_BACKEND ?? 'dynalite';
  if (!DYNAMODB_BACKENDS.includes(backend as DynamoDbBackend)) {
    throw new Error(`--dynamodb must be one of ${DYNAMODB_BACKENDS.join(', ')}, got "${backend}"`);
  }
  const stack = await startLocalStack({
    dynamodb: backend as DynamoDbBackend,
    s3Port: intOption(values['s3-port'], 'LOCAL_S3_PORT', 4566, '--s3-port'),
    dynamodbPort: intOption(values['dynamodb-port'], 'LOCAL_DYNAMODB_PORT', 8000, '--dynamodb-port'),
    maxReceiveCount: intOption(values['max-receive'], 'LOCAL_MAX_RECEIVE_COUNT', 3, '--max-receive'),
    workerEnv,
    metricsOutput: (line) => emf.write(`${line}\n`),
    worker: {
      batchSize: intOption(values['batch-size'], 'LOCAL_BATCH_SIZE', 10, '--batch-size'),
      batchingWindowMs: intOption(
        values['batching-window'],
        'LOCAL_BATCHING_WINDOW_MS',
        0,
        '--batching-window',
      ),
      concurrency: intOption(values.concurrency, 'LOCAL_CONCURRENCY', 4, '--concurrency'),
    },
  });
  await writeStackFile(STACK_FILE, stack.description);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    console.log(`\n${signal}: stopping the worker, then the servers...`);
    await stack.stop();
    await removeStackFile(STACK_FILE);
    emf.end();
    console.log('stopped.');
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  printInstructions(stack);
  let last = '';
  const timer = setInterval(() => {
    void statusLine(stack)
      .then((line) => {
        if (line !== last && !stopping) console.log(`[status] ${line}`);
        last = line;
      })
      .catch(() => undefined);
  }, 1000);
  if (values.demo) await runDemo(stack, console.log);
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
