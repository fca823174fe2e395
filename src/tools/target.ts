import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { OUTPUT } from '../../infra/output-names.js';
import { DEFAULT_GSI_SHARD_COUNT } from '../config.js';
import type { StackDescription } from '../local/stack.js';
import { localClients } from '../local/stack.js';
import { ToolError, UsageError } from './tool-error.js';

/** Everything a tool needs to know about the stack it works on, local or deployed. */
export interface ToolTarget {
  readonly kind: 'local' | 'aws';
  /** The stack name on AWS, the stack file locally. */
  readonly label: string;
  readonly region: string;
  readonly ingestBucket: string;
  readonly watchedBuckets: readonly string[];
  /** Where accepted objects are copied, when the stack copies. */
  readonly copyDestinationBucket?: string;
  readonly ingestQueueUrl: string;
  readonly ingestQueueArn?: string;
  readonly dlqUrl: string;
  readonly dlqArn?: string;
  readonly uploadLogTable: string;
  readonly idempotencyTable: string;
  /** Shards per bucket-day of `byBucketDay`, as the stack's worker writes them. */
  readonly gsiShardCount: number;
  /** The deployed worker function, whose environment holds the worker's settings. */
  readonly workerFunction?: string;
  /** The upload events topic's ARN, where the stack publishes them (docs/events.md). */
  readonly uploadEventsTopic?: string;
  /** The local stack's SNS endpoint (the embedded one); absent on AWS. */
  readonly snsEndpoint?: string;
  /** The local worker's environment (a local stack has no function to ask). */
  readonly workerEnv?: Readonly<Record<string, string>>;
  /** The optional S3 Batch Operations backfill: its function, the role jobs assume, the inventory bucket. */
  readonly batchOperations?: {
    readonly functionArn: string;
    readonly roleArn: string;
    readonly inventoryBucket: string;
  };
}

/**
 * Refuses a bucket the stack does not watch: its log holds no uploads of it, and an empty answer
 * would read as "nothing was uploaded".
 *
 * @throws {ToolError} naming the watched buckets
 */
export function requireWatchedBucket(target: ToolTarget, bucket: string): void {
  if (target.watchedBuckets.includes(bucket)) return;
  throw new ToolError(
    `bucket ${bucket} is not watched by ${target.label}: it records uploads to ${target.watchedBuckets.join(', ')}`,
  );
}

/** Clients bound to a target. */
export interface ToolClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** Where `npm start` writes its stack description. */
export const DEFAULT_STACK_FILE = '.local/stack.json';

/** Reads a local stack's description. @throws {ToolError} with what to do when there is none */
export async function readStackFile(path = DEFAULT_STACK_FILE): Promise<StackDescription> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StackDescription;
  } catch (error) {
    throw new ToolError(
      `no local stack found at ${path}: start one with \`npm start\`, or name a deployed one with --target aws --stack-name NAME`,
      { cause: error },
    );
  }
}

/** The target of a local stack description. */
export function targetFromStackFile(description: StackDescription, label: string): ToolTarget {
  return {
    kind: 'local',
    label,
    region: description.region,
    ingestBucket: description.buckets.uploads,
    watchedBuckets: [description.buckets.uploads],
    copyDestinationBucket: description.buckets.copyDestination,
    ingestQueueUrl: description.queues.ingest,
    dlqUrl: description.queues.dlq,
    uploadLogTable: description.tables.uploads,
    idempotencyTable: description.tables.idempotency,
    gsiShardCount: description.settings?.gsiShardCount ?? DEFAULT_GSI_SHARD_COUNT,
    ...(description.settings?.workerEnv && { workerEnv: description.settings.workerEnv }),
    ...(description.topics?.uploadEvents && { uploadEventsTopic: description.topics.uploadEvents }),
    snsEndpoint: description.endpoints.sqs,
  };
}

/**
 * The target of a deployed stack, from its CloudFormation outputs.
 *
 * @throws {ToolError} naming the outputs that are missing
 */
export function targetFromOutputs(
  stackName: string,
  region: string,
  outputs: readonly { OutputKey?: string; OutputValue?: string }[],
): ToolTarget {
  const values = new Map(outputs.map((output) => [output.OutputKey, output.OutputValue]));
  const required = [
    OUTPUT.ingestBucket,
    OUTPUT.ingestQueueUrl,
    OUTPUT.dlqUrl,
    OUTPUT.uploadLogTable,
    OUTPUT.idempotencyTable,
  ] as const;
  const missing = required.filter((key) => !values.get(key));
  if (missing.length > 0) {
    throw new ToolError(`stack ${stackName} has no output ${missing.join(', ')}: is it an s3-ingest stack?`);
  }
  const get = (key: string) => values.get(key) ?? '';
  const watched = get(OUTPUT.watchedBuckets)
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const shards = values.get(OUTPUT.gsiShardCount);
  const gsiShardCount = shards === undefined ? DEFAULT_GSI_SHARD_COUNT : Number(shards);
  if (!Number.isSafeInteger(gsiShardCount) || gsiShardCount < 1) {
    throw new ToolError(`stack ${stackName} has an unusable ${OUTPUT.gsiShardCount} output: "${shards}"`);
  }
  const copyDestinationBucket = values.get(OUTPUT.copyDestinationBucket);
  const workerFunction = values.get(OUTPUT.workerFunction);
  const backfillFunctionArn = values.get(OUTPUT.backfillFunctionArn);
  const batchOperationsRoleArn = values.get(OUTPUT.batchOperationsRoleArn);
  const inventoryBucket = values.get(OUTPUT.inventoryBucket);
  const ingestQueueArn = values.get(OUTPUT.ingestQueueArn);
  const dlqArn = values.get(OUTPUT.dlqArn);
  const uploadEventsTopic = values.get(OUTPUT.uploadEventsTopic);
  return {
    kind: 'aws',
    label: stackName,
    region,
    ingestBucket: get(OUTPUT.ingestBucket),
    watchedBuckets: watched.length > 0 ? watched : [get(OUTPUT.ingestBucket)],
    ...(copyDestinationBucket && { copyDestinationBucket }),
    ...(uploadEventsTopic && { uploadEventsTopic }),
    ingestQueueUrl: get(OUTPUT.ingestQueueUrl),
    ...(ingestQueueArn && { ingestQueueArn }),
    dlqUrl: get(OUTPUT.dlqUrl),
    ...(dlqArn && { dlqArn }),
    uploadLogTable: get(OUTPUT.uploadLogTable),
    idempotencyTable: get(OUTPUT.idempotencyTable),
    // Stacks deployed before the output existed wrote the default.
    gsiShardCount,
    ...(workerFunction && { workerFunction }),
    ...(backfillFunctionArn &&
      batchOperationsRoleArn &&
      inventoryBucket && {
        batchOperations: {
          functionArn: backfillFunctionArn,
          roleArn: batchOperationsRoleArn,
          inventoryBucket,
        },
      }),
  };
}

/**
 * Checks that a local stack's endpoint accepts connections, so a stack file left by an `npm start`
 * that is gone gives a clear message instead of ECONNREFUSED from the first call.
 *
 * @throws {ToolError} naming the endpoint and the file
 */
export async function requireListening(
  endpoint: string,
  stackFile: string,
  timeoutMs = 2_000,
): Promise<void> {
  const url = new URL(endpoint);
  const answered = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
  if (!answered) {
    throw new ToolError(
      `no local stack answers at ${endpoint} (from ${stackFile}): is \`npm start\` running?`,
    );
  }
}

/** Options every tool takes to choose its target. */
export interface TargetOptions {
  /** `local` (default) or `aws`. */
  readonly target?: string;
  readonly stackName?: string;
  readonly region?: string;
  readonly stackFile?: string;
}

/**
 * Resolves the target and builds its clients: the local stack from its stack file, or a deployed
 * stack from its outputs (credentials and region from the usual AWS environment).
 */
export async function resolveTarget(
  options: TargetOptions,
): Promise<{ target: ToolTarget; clients: ToolClients }> {
  const kind = options.target ?? 'local';
  if (kind === 'local') {
    const path = options.stackFile ?? DEFAULT_STACK_FILE;
    const description = await readStackFile(path);
    await requireListening(description.endpoints.dynamodb, path);
    return { target: targetFromStackFile(description, path), clients: localClients(description) };
  }
  if (kind !== 'aws') throw new UsageError(`--target must be local or aws, got "${kind}"`);
  if (!options.stackName) throw new UsageError('--target aws needs --stack-name NAME');
  const cloudFormation = new CloudFormationClient(options.region ? { region: options.region } : {});
  try {
    const region = await cloudFormation.config.region().catch((error: unknown) => {
      throw new UsageError(
        'no AWS region: add --region REGION, or set AWS_REGION (or the region of your AWS profile)',
        { cause: error },
      );
    });
    const { Stacks = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: options.stackName }),
    );
    const stack = Stacks[0];
    if (!stack) throw new ToolError(`stack ${options.stackName} not found in ${region}`);
    const target = targetFromOutputs(options.stackName, region, stack.Outputs ?? []);
    return {
      target,
      clients: {
        s3: new S3Client({ region }),
        sqs: new SQSClient({ region }),
        dynamodb: new DynamoDBClient({ region }),
      },
    };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError(
      `could not read stack ${options.stackName}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    cloudFormation.destroy();
  }
}
