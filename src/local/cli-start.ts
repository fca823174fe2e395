import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalConsole } from '../console/local-console.js';
import { logger } from '../observability.js';
import { queueDepth as sqsQueueDepth } from '../tools/dlq-operations.js';
import { stateDirectory } from '../tools/private-files.js';
import { requireListening } from '../tools/target.js';
import { isUsageError, UsageError } from '../tools/tool-error.js';
import { runDemo } from './demo.js';
import { DYNAMODB_BACKENDS, type DynamoDbBackend } from './dynamodb-server.js';
import {
  type LocalStack,
  RUNTIME_MODES,
  type RuntimeMode,
  removeStackFile,
  type StackDescription,
  startLocalStack,
  writeStackFile,
} from './stack.js';
import {
  executionEnvironmentLogWriter,
  LOG_FORMATS,
  type LogFormat,
  routeLogsToTerminal,
} from './terminal-logs.js';

/** Where the stack description and the worker's metrics go; tests point it elsewhere. */
const STATE_DIR = stateDirectory();
const STACK_FILE = join(STATE_DIR, 'stack.json');
const EMF_FILE = join(STATE_DIR, 'worker-metrics.ndjson');

const HELP = `Usage: npm start -- [options]

Runs the whole s3-ingest pipeline on this machine, on 127.0.0.1 only: S3 and SQS (fauxqs),
DynamoDB (dynalite or AWS's DynamoDB Local), the S3 -> SQS notification bridge, and the worker as
Lambda runs it: the bundle the CDK deploys, in execution environments of its own (child
processes, created on demand, killed at the function timeout), configured from the synthesized
stack (environment, timeout, memory, batch size, batching window, maximum concurrency,
ReportBatchItemFailures, visibility timeout, maxReceiveCount). The bundle is rebuilt when its
sources change. Writes ${STACK_FILE} for the tools; Ctrl-C stops everything.

Options (environment variable in brackets):
  -c, --context KEY=VALUE
                       CDK context of the synth the worker is configured from, as with
                       cdk deploy -c (repeatable): -c workerTimeoutSeconds=5 -c batchSize=25
  --runtime R          bundle (as deployed) or source (the TypeScript in this process, for
                       breakpoints) [LOCAL_RUNTIME]                           (default bundle)
  --node V             Node.js of the execution environments: current, 24 (the Lambda's,
                       installed by npm ci) or a path [LOCAL_NODE]            (default current)
  --s3-port N          S3 + SQS port; 0 picks a free one [LOCAL_S3_PORT]        (default 4566)
  --dynamodb-port N    DynamoDB port; 0 picks a free one [LOCAL_DYNAMODB_PORT]   (default 8000)
  --console-port N     the web console's port; 0 picks a free one [LOCAL_CONSOLE_PORT] (default 4580)
  --dynamodb NAME      dynalite (in-process) or dynamodb-local (AWS's DynamoDB Local,
                       needs Java; installed by npm ci) [LOCAL_DYNAMODB_BACKEND] (default dynalite)
  These replace the template's values for this run only:
  --batch-size N       records per worker invocation, 1-10000 [LOCAL_BATCH_SIZE]
  --batching-window-ms N
                       milliseconds to fill a batch [LOCAL_BATCHING_WINDOW_MS]
                       (the CDK context batchingWindowSeconds is in seconds)
  --concurrency N      worker invocations (environments) at once, at least 1 [LOCAL_CONCURRENCY]
  --max-receive N      receives before a message goes to the DLQ, 1-1000 [LOCAL_MAX_RECEIVE_COUNT]
  --visibility-timeout S
                       the ingest queue's, in seconds; a shorter one than the template's also
                       shortens the function timeout [LOCAL_VISIBILITY_TIMEOUT]
  --demo               upload sample files (one duplicate, one rejected) and print the rows
  --log-format F       the worker's log lines on stderr: text (one readable line) or json
                       (Lambda's JSON) [LOCAL_LOG_FORMAT]                    (default text)
  --debug              error stacks in the worker's log lines
  -h, --help           show this help

The template's defaults are a 30 s function timeout and a 181 s visibility timeout with
maxReceiveCount 5, so a failing record is retried after 3 minutes and reaches the DLQ after 15;
-c workerTimeoutSeconds=5 (31 s) or --visibility-timeout 5 make that quicker. Locally the stack is
synthesized with copyDestination=true (accepted objects are copied to uploads-private) and
blockedExtensions=exe,bat,cmd,scr. Worker variables set in this shell (BLOCKED_EXTENSIONS,
ALLOWED_CONTENT_TYPES, MAX_OBJECT_BYTES, RETENTION_DAYS, ...) replace the template's.
LOCAL_STATE_DIR moves ${STACK_FILE} (a second stack beside a running one needs its own:
LOCAL_STATE_DIR=.local-2 with --s3-port 0 --dynamodb-port 0). Everything lives in memory:
stopping loses the data.`;

/** A whole-number option (or its environment variable) within [min, max]. @throws naming the option */
function intOption<T extends number | undefined>(
  value: string | undefined,
  envName: string,
  fallback: T,
  name: string,
  [min, max]: readonly [number, number],
): number | T {
  const raw = value ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || parsed < min || parsed > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return parsed;
}

const PORT: readonly [number, number] = [0, 65_535];

/**
 * Refuses to overwrite the stack file of a stack that still runs (its tools would lose it); a file
 * whose stack is gone is stale and replaced.
 */
async function claimStackFile(path: string): Promise<void> {
  let running: StackDescription;
  try {
    running = JSON.parse(await readFile(path, 'utf8')) as StackDescription;
  } catch {
    return;
  }
  try {
    await requireListening(running.endpoints.dynamodb, path, 500);
  } catch {
    console.error(`replacing ${path}: the stack it describes no longer answers`);
    return;
  }
  throw new Error(
    `another local stack is running and owns ${path} (S3/SQS ${running.endpoints.s3}, DynamoDB ${running.endpoints.dynamodb}): ` +
      'stop it with Ctrl-C, or start a second one beside it with its own state directory and ports: ' +
      'LOCAL_STATE_DIR=.local-2 npm start -- --s3-port 0 --dynamodb-port 0',
  );
}

/** A clear sentence for a port that is taken, or the error as it is. */
function explainStartError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== 'EADDRINUSE' && !message.includes('EADDRINUSE')) return message;
  const port = /:(\d+)\b/.exec(message)?.[1] ?? (error as { port?: number }).port;
  return (
    `port ${port ?? '(unknown)'} on 127.0.0.1 is in use, perhaps by another npm start or by LocalStack: stop it, ` +
    'or pick other ports with --s3-port N, --dynamodb-port N and --console-port N (0 picks free ones)'
  );
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
  const environments = stack.environments;
  return [
    ...(environments
      ? [`environments ${environments.size} (${environments.stats.environmentsCreated} cold starts)`]
      : []),
    `ingested ${totals.ObjectsIngested}`,
    `duplicates ${totals.DuplicatesSkipped}`,
    `rejected ${totals.ObjectsRejected}`,
    `gone ${totals.ObjectsGone}`,
    `removed ${totals.ObjectsRemoved}`,
    `failed ${totals.RecordsFailed}`,
    `DLQ depth ${dlq}`,
  ].join(' | ');
}

function printInstructions(stack: LocalStack, consoleUrl: string): void {
  const { endpoints, buckets, queues, tables, region } = stack.description;
  console.log(`
s3-ingest local stack is ready (S3/SQS ${endpoints.s3}, DynamoDB ${endpoints.dynamodb} [${stack.dynamodbBackend}]).

Console: ${consoleUrl}  (uploads, the DLQ, the dashboard and the queues; 127.0.0.1 only)

Upload with the AWS CLI (any credentials; the region is ${region}):
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=${region}
  aws --endpoint-url ${endpoints.s3} s3 cp FILE s3://${buckets.uploads}/
  aws --endpoint-url ${endpoints.dynamodb} dynamodb scan --table-name ${tables.uploads}

Or with the SDK:
  new S3Client({ endpoint: '${endpoints.s3}', forcePathStyle: true, region: '${region}',
                 credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })

Ingest queue ${queues.ingest}
DLQ          ${queues.dlq}
${describeUploadEvents(stack)}
${describeRuntime(stack)}
Endpoints and names: ${STACK_FILE}; worker metrics (EMF): ${EMF_FILE}.
Everything lives in memory: Ctrl-C stops the stack and its data is gone.
Tools: s3-ingest uploads | redrive status | redrive peek | reprocess ... (--help for more; 'npm link' puts
s3-ingest on your PATH, or run 'npm exec --no -- s3-ingest ...' in this checkout)
`);
}

/** Where the upload events go (a stack without the worker has none). */
function describeUploadEvents(stack: LocalStack): string {
  const topic = stack.description.topics?.uploadEvents;
  return topic
    ? `Upload events ${topic} (watch them: s3-ingest events tail)`
    : 'Upload events: none (the stack runs without the worker)';
}

/** Where the worker runs and with which of the template's settings. */
function describeRuntime(stack: LocalStack): string {
  const runtime = stack.description.settings?.runtime;
  if (!runtime) return 'Worker: none';
  const where =
    runtime.mode === 'bundle'
      ? `the bundle ${runtime.bundle} on Node.js ${runtime.node}, in execution environments of its own (at most ${runtime.maxConcurrency})`
      : `its source in this process (Node.js ${runtime.node}), at most ${runtime.maxConcurrency} invocations at once`;
  return [
    `Worker: ${where}`,
    `  from the synthesized stack: timeout ${runtime.timeoutSeconds} s, memory ${runtime.memorySize} MB, batch ${runtime.batchSize},`,
    `  batching window ${runtime.batchingWindowMs} ms, ReportBatchItemFailures ${runtime.reportBatchItemFailures ? 'on' : 'off'},`,
    `  visibility timeout ${runtime.visibilityTimeoutSeconds} s, maxReceiveCount ${runtime.maxReceiveCount}`,
  ].join('\n');
}

/** `KEY=VALUE` pairs of `-c`, as an object. @throws {UsageError} for a pair without `=` */
function contextOf(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`-c takes KEY=VALUE, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      context: { type: 'string', short: 'c', multiple: true },
      runtime: { type: 'string' },
      node: { type: 'string' },
      'visibility-timeout': { type: 'string' },
      's3-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'console-port': { type: 'string' },
      dynamodb: { type: 'string' },
      'batch-size': { type: 'string' },
      'batching-window-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'max-receive': { type: 'string' },
      demo: { type: 'boolean', default: false },
      'log-format': { type: 'string' },
      debug: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const localLogLevel = process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN';
  logger.setLogLevel(localLogLevel as 'WARN');
  const logFormat = values['log-format'] ?? process.env.LOCAL_LOG_FORMAT ?? 'text';
  if (!LOG_FORMATS.includes(logFormat as LogFormat)) {
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}"`);
  }
  routeLogsToTerminal(logger, logFormat as LogFormat, values.debug);
  const s3Port = intOption(values['s3-port'], 'LOCAL_S3_PORT', 4566, '--s3-port', PORT);
  const dynamodbPort = intOption(
    values['dynamodb-port'],
    'LOCAL_DYNAMODB_PORT',
    8000,
    '--dynamodb-port',
    PORT,
  );
  const consolePort = intOption(values['console-port'], 'LOCAL_CONSOLE_PORT', 4580, '--console-port', PORT);
  const maxReceiveCount = intOption(
    values['max-receive'],
    'LOCAL_MAX_RECEIVE_COUNT',
    undefined,
    '--max-receive',
    [1, 1000],
  );
  const visibilityTimeoutSeconds = intOption(
    values['visibility-timeout'],
    'LOCAL_VISIBILITY_TIMEOUT',
    undefined,
    '--visibility-timeout',
    [1, 43_200],
  );
  const worker = {
    batchSize: intOption(values['batch-size'], 'LOCAL_BATCH_SIZE', undefined, '--batch-size', [1, 10_000]),
    batchingWindowMs: intOption(
      values['batching-window-ms'],
      'LOCAL_BATCHING_WINDOW_MS',
      undefined,
      '--batching-window-ms',
      [0, 300_000],
    ),
    concurrency: intOption(values.concurrency, 'LOCAL_CONCURRENCY', undefined, '--concurrency', [1, 1000]),
  };
  const runtime = values.runtime ?? process.env.LOCAL_RUNTIME ?? 'bundle';
  if (!RUNTIME_MODES.includes(runtime as RuntimeMode)) {
    throw new UsageError(`--runtime must be one of ${RUNTIME_MODES.join(', ')}, got "${runtime}"`);
  }
  const node = values.node ?? process.env.LOCAL_NODE;
  if (node !== undefined && runtime === 'source') {
    throw new UsageError(
      '--node chooses the execution environments of the bundle runtime; --runtime source runs in this process',
    );
  }
  const context = contextOf(values.context ?? []);
  await mkdir(STATE_DIR, { recursive: true });
  await claimStackFile(STACK_FILE);
  const emf = createWriteStream(EMF_FILE, { flags: 'a' });
  const workerEnv = Object.fromEntries(
    WORKER_ENV_NAMES.filter((n) => process.env[n]).map((n) => [n, process.env[n]]),
  );
  const backend = values.dynamodb ?? process.env.LOCAL_DYNAMODB_BACKEND ?? 'dynalite';
  if (!DYNAMODB_BACKENDS.includes(backend as DynamoDbBackend)) {
    throw new UsageError(`--dynamodb must be one of ${DYNAMODB_BACKENDS.join(', ')}, got "${backend}"`);
  }
  const stack = await startLocalStack({
    dynamodb: backend as DynamoDbBackend,
    s3Port,
    dynamodbPort,
    ...(maxReceiveCount !== undefined && { maxReceiveCount }),
    ...(visibilityTimeoutSeconds !== undefined && { visibilityTimeoutSeconds }),
    workerEnv,
    context,
    runtime: runtime as RuntimeMode,
    ...(node !== undefined && { node }),
    watchBundle: true,
    onRuntimeNotice: (message) => console.error(message),
    workerOutput: executionEnvironmentLogWriter(logFormat as LogFormat, values.debug, localLogLevel),
    metricsOutput: (line) => emf.write(`${line}\n`),
    worker: Object.fromEntries(Object.entries(worker).filter(([, value]) => value !== undefined)),
  }).catch((error: unknown) => {
    throw isUsageError(error) ? error : new Error(explainStartError(error), { cause: error });
  });
  const webConsole = await startLocalConsole(stack, consolePort).catch(async (error: unknown) => {
    await stack.stop();
    throw new Error(explainStartError(error), { cause: error });
  });
  await writeStackFile(STACK_FILE, {
    ...stack.description,
    endpoints: { ...stack.description.endpoints, console: webConsole.operatorUrl },
  });
  const ownFile = await readFile(STACK_FILE, 'utf8');
  const demo = new AbortController();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    demo.abort(new Error(`stopped by ${signal}`));
    console.log(`\n${signal}: stopping the worker, then the servers...`);
    await webConsole.close();
    await stack.stop();
    // Only our own file: a stack started later with the same state directory keeps its own.
    if ((await readFile(STACK_FILE, 'utf8').catch(() => '')) === ownFile) await removeStackFile(STACK_FILE);
    emf.end();
    console.log('stopped.');
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  printInstructions(stack, webConsole.operatorUrl);
  let last = '';
  const timer = setInterval(() => {
    void statusLine(stack)
      .then((line) => {
        if (line !== last && !stopping) console.log(`[status] ${line}`);
        last = line;
      })
      .catch(() => undefined);
  }, 1000);
  if (values.demo) {
    await runDemo(stack, console.log, demo.signal).catch((error: unknown) => {
      // Ctrl-C during the demo ends it; that is not a failure.
      if (!demo.signal.aborted) throw error;
    });
  }
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  if (process.argv.includes('--debug') && error instanceof Error) console.error(error.stack);
  // Usage mistakes (an unknown flag, a value that could never work) exit 2, like every s3-ingest command.
  process.exitCode = isUsageError(error) ? 2 : 1;
});
