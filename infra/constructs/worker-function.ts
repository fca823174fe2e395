import { Duration, Fn, Token } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type Function as LambdaFunction,
  LoggingFormat,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIG_ENV, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { bundledFunction } from '../function-code.js';

/** Worker settings passed to the function's environment, named as the runtime config reads them. */
export interface WorkerSettings {
  readonly uploadLogTable: string;
  readonly idempotencyTable: string;
  readonly copyDestinationBucket?: string;
  readonly retentionDays?: number;
  readonly gsiShardCount?: number;
  readonly idempotencyTtlSeconds?: number;
  readonly maxObjectBytes?: number;
  readonly allowedContentTypes?: readonly string[];
  readonly blockedExtensions?: readonly string[];
  /** Read each new object's first bytes to judge its type. @default true */
  readonly contentChecks?: boolean;
  /** Reject content that contradicts its declared type. @default false */
  readonly rejectMismatchedTypes?: boolean;
  /** The malware-scan gate: copies wait for a clean scan result. @default false */
  readonly malwareScanGate?: boolean;
  /** What a scan that did not complete means: hold or accept. @default hold */
  readonly scanFailureAction?: 'hold' | 'accept';
  /** Where the worker sends itself the delayed check of each pending scan (the ingest queue's URL). */
  readonly scanCheckQueueUrl?: string;
  /** Believe a result that lets an object through only when GuardDuty's tag on it agrees. @default false */
  readonly scanTagCheck?: boolean;
  /** Bucket names (or tokens) whose events the worker records; events of others are ignored. */
  readonly watchedBuckets?: readonly string[];
}

/** Props of {@link WorkerFunction}. */
export interface WorkerFunctionProps {
  readonly queue: IQueue;
  readonly settings: WorkerSettings;
  readonly timeout: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Records per invocation. @default 10 */
  readonly batchSize?: number;
  /** @default Duration.seconds(1) */
  readonly batchingWindow?: Duration;
  /** Most concurrent invocations the event source starts (2-1000). @default 50 */
  readonly maxConcurrency?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: string;
}

function environmentOf(settings: WorkerSettings, logLevel: string): Record<string, string> {
  const env: Record<string, string> = {
    [CONFIG_ENV.uploadLogTable]: settings.uploadLogTable,
    [CONFIG_ENV.idempotencyTable]: settings.idempotencyTable,
    POWERTOOLS_LOG_LEVEL: logLevel,
    // Source maps make stack traces readable; the cost is paid only when an error is formatted.
    NODE_OPTIONS: '--enable-source-maps',
  };
  const optional: [string, string | number | boolean | readonly string[] | undefined][] = [
    [CONFIG_ENV.contentChecks, settings.contentChecks],
    [CONFIG_ENV.rejectMismatchedTypes, settings.rejectMismatchedTypes],
    [CONFIG_ENV.malwareScanGate, settings.malwareScanGate],
    [CONFIG_ENV.scanFailureAction, settings.scanFailureAction],
    [CONFIG_ENV.scanCheckQueueUrl, settings.scanCheckQueueUrl],
    [CONFIG_ENV.scanTagCheck, settings.scanTagCheck],
    [CONFIG_ENV.copyDestinationBucket, settings.copyDestinationBucket],
    [CONFIG_ENV.retentionDays, settings.retentionDays],
    [CONFIG_ENV.gsiShardCount, settings.gsiShardCount],
    [CONFIG_ENV.idempotencyTtlSeconds, settings.idempotencyTtlSeconds],
    [CONFIG_ENV.maxObjectBytes, settings.maxObjectBytes],
    [CONFIG_ENV.allowedContentTypes, settings.allowedContentTypes],
    [CONFIG_ENV.blockedExtensions, settings.blockedExtensions],
    [CONFIG_ENV.watchedBuckets, settings.watchedBuckets],
  ];
  for (const [name, value] of optional) {
    if (value === undefined) continue;
    // A list with a deploy-time value (a bucket the stack makes) is joined by CloudFormation.
    const list = value as readonly string[];
    env[name] = Array.isArray(value)
      ? list.some((item) => Token.isUnresolved(item))
        ? Fn.join(',', [...list])
        : list.join(',')
      : String(value);
  }
  return env;
}

/** The prop (and `-c` context key) behind each worker environment variable, for synth errors. */
const SETTING_OF_VARIABLE: Readonly<Record<string, string>> = {
  [CONFIG_ENV.copyDestinationBucket]: 'copyDestinationBucket',
  [CONFIG_ENV.retentionDays]: 'retentionDays',
  [CONFIG_ENV.gsiShardCount]: 'gsiShardCount',
  [CONFIG_ENV.idempotencyTtlSeconds]: 'idempotencyTtlSeconds',
  [CONFIG_ENV.maxObjectBytes]: 'maxObjectBytes',
  [CONFIG_ENV.allowedContentTypes]: 'allowedContentTypes',
  [CONFIG_ENV.blockedExtensions]: 'blockedExtensions',
  [CONFIG_ENV.contentChecks]: 'contentChecks',
  [CONFIG_ENV.rejectMismatchedTypes]: 'rejectMismatchedTypes',
  [CONFIG_ENV.malwareScanGate]: 'malwareProtection',
  [CONFIG_ENV.scanFailureAction]: 'scanFailureAction',
  [CONFIG_ENV.scanCheckQueueUrl]: 'malwareProtection',
  [CONFIG_ENV.scanTagCheck]: 'scanTagCheck',
};

/**
 * Runs the worker's own `loadConfig` over the environment the function will get, so a setting the
 * worker would reject at every cold start fails the synth instead. Values CloudFormation resolves
 * at deploy time (table and bucket names) are valid by construction and stand in as placeholders.
 *
 * @throws {Error} naming the setting and what is wrong with it
 */
export function checkWorkerEnvironment(env: Readonly<Record<string, string>>): void {
  const resolvedNow = Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      Token.isUnresolved(value) ? 'resolved-at-deploy' : value,
    ]),
  );
  try {
    loadConfig(resolvedNow);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const variable = Object.keys(SETTING_OF_VARIABLE).find((name) => error.message.startsWith(`${name} `));
    const setting = variable ? SETTING_OF_VARIABLE[variable] : undefined;
    throw new Error(`worker setting ${setting ?? ''}${setting ? ': ' : ''}${error.message}`, {
      cause: error,
    });
  }
}

/**
 * The worker: the bundled handler on Node.js 24 (arm64), its own log group with retention,
 * a role that may write only to that log group (grants for data are added by the stack), and
 * an SQS event source that reports partial batch failures.
 */
export class WorkerFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WorkerFunctionProps) {
    super(scope, id);
    const environment = environmentOf(props.settings, props.logLevel ?? 'INFO');
    checkWorkerEnvironment(environment);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy may write to every log group.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = bundledFunction(this, 'Function', 'worker', {
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment,
    });
    this.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: props.batchingWindow ?? Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 50,
      }),
    );
  }
}
