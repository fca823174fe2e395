import { parseArgs } from 'node:util';
import { DYNAMODB_BACKENDS, type DynamoDbBackend } from '../src/local/dynamodb-server.js';
import { RUNTIME_MODES, type RuntimeMode } from '../src/local/stack.js';
import { UsageError } from '../src/tools/tool-error.js';
import { type ChaosOptions, chaosWanted, parseOutage } from './chaos.js';
import type { LoadTestOptions } from './report-types.js';
import type { TargetKind } from './targets.js';

export const LOADTEST_HELP = `Usage: npm run loadtest -- [options]

Uploads objects, injects duplicate, late and poison notifications, waits for the pipeline to drain,
verifies the upload log row by row and reports throughput, latency, AWS calls, cost and capacity,
and what limited the run: the --rate asked for, this process's CPU (embedded: one event loop runs
the local services, and the worker too with --runtime source; the report says how busy it was),
DynamoDB's raw write rate, or waiting.

Workload:
  --objects N             objects to upload (default 1000)
  --duplicate-rate R      extra deliveries of the same notification per object, half at once with
                          the original, half later (default 0.3)
  --late-rate R           objects uploaded twice whose older notification arrives after the newer
                          one was processed (default 0.05)
  --poison-rate R         malformed messages per object, sent to the ingest queue (default 0.01)
  --malware-rate R        objects uploaded as the EICAR test file (default 0). Embedded, the stack
                          is synthesized with malwareProtection and ClamAV plays GuardDuty
                          (apt-get install -y clamav); local or aws, the stack must have malware
                          protection and a copy destination. Every infected object must be
                          REJECTED and absent from the copy destination, every clean one copied
  --size-bytes B          object size (default 1024)
  --concurrency C         uploads in flight (default 32)
  --rate N                uploads per second (default: unlimited)
  --seed N                workload seed, to replay a run (default 1)

Target:
  --target embedded|local|aws
                          embedded (default): a fresh local stack in this process, stopped after;
                          local: the running \`npm start\` (.local/stack.json, or --stack-file);
                          aws: a deployed stack, with --stack-name NAME [--region REGION]
  --dynamodb dynalite|dynamodb-local
                          embedded DynamoDB: dynalite in this process (default) or AWS's DynamoDB
                          Local (Java) in its own process
  --runtime bundle|source embedded worker: the bundle the CDK deploys, in execution environments
                          of its own (default), or its source in this process
  --node V                embedded bundle runtime: Node.js of its environments, current (default),
                          24 (the Lambda's, installed by npm ci) or a path
  --batch-size N          embedded worker: records per batch (default 10)
  --worker-concurrency N  embedded worker: concurrent invocations (default 8); with the bundle
                          runtime each holds an execution environment (a process), and more of
                          them than cores costs more CPU than it gains (docs/performance.md: runtimes side by side)
  --visibility-timeout S  embedded ingest queue's visibility timeout (default 10); poison messages
                          reach the DLQ after the template's
                          maxReceiveCount (5) of them
  --drain-timeout S       bound on each wait for the pipeline to drain, seconds (default 600)
  --calibration-puts N    raw conditional PutItem calls to measure DynamoDB alone; 0 skips (default 3000)

Chaos (embedded; faults a Lambda deployment meets, while the uploads are sent; the drain after
them runs on a healthy stack):
  --kill-environments-every S
                          kill a busy execution environment mid-batch every S seconds (bundle runtime)
  --dynamodb-fault-rate R share of DynamoDB writes answered with throttling or a 500 (0..1)
  --s3-fault-rate R       share of S3 HeadObject and CopyObject calls answered with a 500 or 503 (0..1)
  --outage START:SECONDS  DynamoDB unreachable (connections reset) from START seconds after the
                          first upload, for SECONDS

Comparison and output:
  --baseline              also run the workload through a naive one-put-per-event handler (embedded)
  --compare-runtime       also run the workload through the other worker runtime (embedded, no
                          chaos) and report both throughputs side by side
  --out FILE.json         the JSON report (default loadtest-report.json); the HTML report goes
                          beside it (FILE.html)
  --log-format text|json  the embedded worker's warnings and errors on stderr (default text)
  --debug                 error stacks in those lines
  -h, --help              this help

Progress goes to stderr: a bar on a terminal, a line every few seconds when piped; the table
to stdout.`;

/** The parsed command line: the run's options, where to write, or a request for help. */
export type LoadTestCommand =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly options: LoadTestOptions;
      readonly out: string;
      readonly logFormat: 'text' | 'json';
      readonly debug: boolean;
    };

/** Parses the load test's arguments. @throws {UsageError} naming the bad option */
export function parseLoadTestArgs(argv: readonly string[]): LoadTestCommand {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      objects: { type: 'string', default: '1000' },
      'duplicate-rate': { type: 'string', default: '0.3' },
      'late-rate': { type: 'string', default: '0.05' },
      'poison-rate': { type: 'string', default: '0.01' },
      'malware-rate': { type: 'string', default: '0' },
      'size-bytes': { type: 'string', default: '1024' },
      concurrency: { type: 'string', default: '32' },
      rate: { type: 'string' },
      seed: { type: 'string', default: '1' },
      target: { type: 'string', default: 'embedded' },
      'stack-name': { type: 'string' },
      region: { type: 'string' },
      'stack-file': { type: 'string' },
      dynamodb: { type: 'string', default: 'dynalite' },
      'batch-size': { type: 'string', default: '10' },
      'worker-concurrency': { type: 'string', default: '8' },
      'visibility-timeout': { type: 'string', default: '10' },
      'drain-timeout': { type: 'string', default: '600' },
      'calibration-puts': { type: 'string', default: '3000' },
      runtime: { type: 'string', default: 'bundle' },
      node: { type: 'string' },
      'kill-environments-every': { type: 'string' },
      'dynamodb-fault-rate': { type: 'string', default: '0' },
      's3-fault-rate': { type: 'string', default: '0' },
      outage: { type: 'string' },
      baseline: { type: 'boolean', default: false },
      'compare-runtime': { type: 'boolean', default: false },
      out: { type: 'string', default: 'loadtest-report.json' },
      'log-format': { type: 'string', default: 'text' },
      debug: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const target = values.target as TargetKind;
  if (!['embedded', 'local', 'aws'].includes(target)) {
    throw new UsageError(`--target must be embedded, local or aws, got "${values.target}"`);
  }
  if (target === 'aws' && !values['stack-name']) throw new UsageError('--target aws needs --stack-name NAME');
  if (values.baseline && target !== 'embedded') {
    throw new UsageError(
      '--baseline swaps the worker for a naive handler, which only --target embedded can do',
    );
  }
  if (!DYNAMODB_BACKENDS.includes(values.dynamodb as DynamoDbBackend)) {
    throw new UsageError(`--dynamodb must be ${DYNAMODB_BACKENDS.join(' or ')}, got "${values.dynamodb}"`);
  }
  const count = (name: string, value: string, min: number) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}"`);
    }
    return parsed;
  };
  const rate = (name: string, value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      throw new UsageError(`--${name} must be a number from 0 to 1, got "${value}"`);
    }
    return parsed;
  };
  if (!RUNTIME_MODES.includes(values.runtime as RuntimeMode)) {
    throw new UsageError(`--runtime must be ${RUNTIME_MODES.join(' or ')}, got "${values.runtime}"`);
  }
  const outage = values.outage === undefined ? undefined : parseOutage(values.outage);
  if (values.outage !== undefined && !outage) {
    throw new UsageError(
      `--outage takes START:SECONDS (seconds after the first upload, and how long), got "${values.outage}"`,
    );
  }
  const killEvery = values['kill-environments-every'];
  const killSeconds = killEvery === undefined ? undefined : Number(killEvery);
  if (killSeconds !== undefined && !(Number.isFinite(killSeconds) && killSeconds > 0)) {
    throw new UsageError(`--kill-environments-every must be a number of seconds above 0, got "${killEvery}"`);
  }
  const chaos: ChaosOptions = {
    ...(killSeconds !== undefined && { killEnvironmentsEverySeconds: killSeconds }),
    dynamodbFaultRate: rate('dynamodb-fault-rate', values['dynamodb-fault-rate']),
    s3FaultRate: rate('s3-fault-rate', values['s3-fault-rate']),
    ...(outage && { outage }),
  };
  if (chaosWanted(chaos) && target !== 'embedded') {
    throw new UsageError(
      'chaos options inject faults into the embedded stack: use them with --target embedded',
    );
  }
  if (values['compare-runtime'] && target !== 'embedded') {
    throw new UsageError('--compare-runtime runs the worker both ways, which only --target embedded can do');
  }
  if (killSeconds !== undefined && values.runtime !== 'bundle') {
    throw new UsageError(
      '--kill-environments-every kills execution environments, which only --runtime bundle has',
    );
  }
  if (values.node !== undefined && values.runtime !== 'bundle') {
    throw new UsageError('--node chooses the execution environments of --runtime bundle');
  }
  const options: LoadTestOptions = {
    objects: count('objects', values.objects, 1),
    duplicateRate: rate('duplicate-rate', values['duplicate-rate']),
    lateRate: rate('late-rate', values['late-rate']),
    poisonRate: rate('poison-rate', values['poison-rate']),
    malwareRate: rate('malware-rate', values['malware-rate']),
    sizeBytes: count('size-bytes', values['size-bytes'], 64),
    concurrency: count('concurrency', values.concurrency, 1),
    ...(values.rate !== undefined && { rate: count('rate', values.rate, 1) }),
    seed: count('seed', values.seed, 0),
    target,
    ...(values['stack-name'] && { stackName: values['stack-name'] }),
    ...(values.region && { region: values.region }),
    ...(values['stack-file'] && { stackFile: values['stack-file'] }),
    baseline: values.baseline,
    dynamodb: values.dynamodb as DynamoDbBackend,
    batchSize: count('batch-size', values['batch-size'], 1),
    workerConcurrency: count('worker-concurrency', values['worker-concurrency'], 1),
    visibilityTimeoutSeconds: count('visibility-timeout', values['visibility-timeout'], 1),
    drainTimeoutMs: count('drain-timeout', values['drain-timeout'], 1) * 1000,
    calibrationPuts: count('calibration-puts', values['calibration-puts'], 0),
    runtime: values.runtime as RuntimeMode,
    ...(values.node !== undefined && { node: values.node }),
    chaos,
    ...(values['compare-runtime'] && { compareRuntime: true }),
  };
  const logFormat = values['log-format'];
  if (logFormat !== 'text' && logFormat !== 'json') {
    throw new UsageError(`--log-format must be text or json, got "${logFormat}"`);
  }
  return { help: false, options, out: values.out, logFormat, debug: values.debug };
}
