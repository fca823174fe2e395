import { CONFIG_ENV } from '../../config.js';
import type { LocalResourceNames } from '../resources.js';

/** A synthesized CloudFormation template, as much of it as is read here. */
export interface CfnTemplate {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

/**
 * What the template gives the worker and its event source: everything the local runtime needs to
 * run it as Lambda would. Environment values are as synthesized: strings, or CloudFormation
 * intrinsics for names resolved at deploy time.
 */
export interface WorkerLambdaSettings {
  readonly functionLogicalId: string;
  readonly roleLogicalId: string;
  readonly runtime: string;
  /** `index.handler`: the bundle's file and export. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** The function's `LoggingConfig`: `Text` or `JSON`, and with JSON the application log level. */
  readonly logging: { readonly format: string; readonly applicationLogLevel?: string };
  readonly eventSource: {
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    readonly maximumConcurrency: number;
    readonly reportBatchItemFailures: boolean;
  };
  readonly queue: {
    readonly logicalId: string;
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number;
    readonly retentionSeconds: number;
  };
  readonly deadLetterQueue: { readonly logicalId: string; readonly retentionSeconds: number };
}

/** SQS's defaults for properties a template leaves out. */
const SQS_DEFAULT_VISIBILITY_TIMEOUT = 30;
const SQS_DEFAULT_RETENTION = 345_600;

const refOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;

const getAttOf = (value: unknown): string | undefined => {
  if (!value || typeof value !== 'object' || !('Fn::GetAtt' in value)) return undefined;
  const [id] = (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return id;
};

function resource(template: CfnTemplate, id: string | undefined, type: string) {
  const found = id === undefined ? undefined : template.Resources[id];
  if (!found || found.Type !== type) throw new Error(`the template has no ${type} ${id ?? '(unnamed)'}`);
  return found.Properties ?? {};
}

/**
 * Reads the worker's settings from a synthesized template: the function behind the template's
 * one SQS event source mapping, that mapping, its queue and the queue's dead-letter queue.
 *
 * @throws {Error} when the template has no such function or more than one event source mapping
 */
export function workerSettingsOf(template: CfnTemplate): WorkerLambdaSettings {
  // The worker's is the one mapping on an SQS queue (the upload events publisher's reads a stream).
  const mappings = Object.values(template.Resources).filter(
    (candidate) =>
      candidate.Type === 'AWS::Lambda::EventSourceMapping' &&
      template.Resources[getAttOf(candidate.Properties?.EventSourceArn) ?? '']?.Type === 'AWS::SQS::Queue',
  );
  if (mappings.length !== 1)
    throw new Error(`expected one SQS event source mapping, found ${mappings.length}`);
  const mapping = mappings[0]?.Properties ?? {};
  const functionLogicalId = refOf(mapping.FunctionName) ?? '';
  const fn = resource(template, functionLogicalId, 'AWS::Lambda::Function');
  const queueLogicalId = getAttOf(mapping.EventSourceArn) ?? '';
  const queue = resource(template, queueLogicalId, 'AWS::SQS::Queue');
  const redrive = (queue.RedrivePolicy ?? {}) as { deadLetterTargetArn?: unknown; maxReceiveCount?: number };
  const dlqLogicalId = getAttOf(redrive.deadLetterTargetArn) ?? '';
  const dlq = resource(template, dlqLogicalId, 'AWS::SQS::Queue');
  const scaling = (mapping.ScalingConfig ?? {}) as { MaximumConcurrency?: number };
  const responseTypes = (mapping.FunctionResponseTypes ?? []) as string[];
  return {
    functionLogicalId,
    roleLogicalId: getAttOf(fn.Role) ?? '',
    runtime: String(fn.Runtime ?? ''),
    handler: String(fn.Handler ?? 'index.handler'),
    environment: ((fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>,
    // Lambda's defaults for properties a template leaves out.
    timeoutSeconds: Number(fn.Timeout ?? 3),
    memorySize: Number(fn.MemorySize ?? 128),
    logging: loggingOf(fn.LoggingConfig),
    eventSource: {
      batchSize: Number(mapping.BatchSize ?? 10),
      maximumBatchingWindowSeconds: Number(mapping.MaximumBatchingWindowInSeconds ?? 0),
      // Without a maximum, Lambda scales an SQS mapping up to 1,250 concurrent invocations.
      maximumConcurrency: Number(scaling.MaximumConcurrency ?? 1250),
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    },
    queue: {
      logicalId: queueLogicalId,
      visibilityTimeoutSeconds: Number(queue.VisibilityTimeout ?? SQS_DEFAULT_VISIBILITY_TIMEOUT),
      maxReceiveCount: Number(redrive.maxReceiveCount ?? 0),
      retentionSeconds: Number(queue.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION),
    },
    deadLetterQueue: {
      logicalId: dlqLogicalId,
      retentionSeconds: Number(dlq.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION),
    },
  };
}

function loggingOf(config: unknown): WorkerLambdaSettings['logging'] {
  const { LogFormat, ApplicationLogLevel } = (config ?? {}) as {
    LogFormat?: string;
    ApplicationLogLevel?: string;
  };
  return {
    format: LogFormat ?? 'Text',
    ...(ApplicationLogLevel !== undefined && { applicationLogLevel: ApplicationLogLevel }),
  };
}

/**
 * The worker's environment with the local stack's names where the template has names CloudFormation
 * makes at deploy time. Each deploy-time value is replaced by the variable it is set on.
 *
 * @throws {Error} naming a variable with a deploy-time value the local stack has nothing for
 */
export function localWorkerEnvironment(
  environment: Readonly<Record<string, unknown>>,
  names: LocalResourceNames,
  urls: { readonly ingestQueue?: string } = {},
): Record<string, string> {
  const local: Readonly<Record<string, string>> = {
    // The worker's own scan checks go to the ingest queue (a URL SQS makes at deploy time).
    ...(urls.ingestQueue !== undefined && { [CONFIG_ENV.scanCheckQueueUrl]: urls.ingestQueue }),
    [CONFIG_ENV.uploadLogTable]: names.uploadLogTable,
    [CONFIG_ENV.idempotencyTable]: names.idempotencyTable,
    [CONFIG_ENV.copyDestinationBucket]: names.copyDestinationBucket,
    // The stack's own bucket is made at deploy time; the local stack watches its uploads bucket.
    [CONFIG_ENV.watchedBuckets]: names.uploadsBucket,
  };
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      if (typeof value === 'string' || typeof value === 'number') return [name, String(value)];
      const substitute = local[name];
      if (substitute === undefined)
        throw new Error(
          `the template sets ${name} to a value made at deploy time (${JSON.stringify(value)}); the local stack has nothing to put there`,
        );
      return [name, substitute];
    }),
  );
}

/** How the template's own bucket (the local uploads bucket) reaches the ingest queue. */
export interface OwnBucketDelivery {
  /** Its notification configuration sends to the queue. */
  readonly notifications: boolean;
  /** The patterns of the EventBridge rules that target the queue, the own bucket's name filled in. */
  readonly eventPatterns: readonly Readonly<Record<string, unknown>>[];
}

/** Replaces `{ Ref: id }` by `name` throughout a value. */
function withRef(value: unknown, id: string, name: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withRef(item, id, name));
  if (!value || typeof value !== 'object') return value;
  if (refOf(value) === id) return name;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withRef(item, id, name)]));
}

/**
 * Reads how the stack's own bucket is heard: by its notification configuration
 * (`Custom::S3BucketNotifications` with queue configurations), by EventBridge rules whose target
 * is the ingest queue, or both. The own bucket is the `IngestBucketName` output's.
 */
export function ownBucketDeliveryOf(
  template: CfnTemplate,
  queueLogicalId: string,
  uploadsBucket: string,
): OwnBucketDelivery {
  const ownBucketId = refOf(template.Outputs?.IngestBucketName?.Value) ?? '';
  const notifications = Object.values(template.Resources).some((resource) => {
    if (resource.Type !== 'Custom::S3BucketNotifications') return false;
    const configuration = resource.Properties?.NotificationConfiguration as
      | { QueueConfigurations?: { QueueArn?: unknown }[] }
      | undefined;
    return (
      refOf(resource.Properties?.BucketName) === ownBucketId &&
      (configuration?.QueueConfigurations ?? []).some((queue) => getAttOf(queue.QueueArn) === queueLogicalId)
    );
  });
  const eventPatterns = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Events::Rule')
    .filter((rule) =>
      ((rule.Properties?.Targets ?? []) as { Arn?: unknown }[]).some(
        (target) => getAttOf(target.Arn) === queueLogicalId,
      ),
    )
    .map(
      (rule) =>
        withRef(rule.Properties?.EventPattern ?? {}, ownBucketId, uploadsBucket) as Record<string, unknown>,
    );
  return { notifications, eventPatterns };
}

/**
 * The upload events publisher's stream event source, as the template sets it: its batch size and
 * filter patterns. `undefined` when the template has no mapping on a table's stream.
 */
export function streamSourceOf(
  template: CfnTemplate,
): { batchSize: number; filters: Record<string, unknown>[] } | undefined {
  const mapping = Object.values(template.Resources).find(
    (candidate) =>
      candidate.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(candidate.Properties?.EventSourceArn ?? '').includes('"StreamArn"'),
  );
  if (!mapping) return undefined;
  const filters = ((mapping.Properties?.FilterCriteria as { Filters?: { Pattern?: string }[] } | undefined)
    ?.Filters ?? []) as { Pattern?: string }[];
  return {
    batchSize: Number(mapping.Properties?.BatchSize ?? 100),
    filters: filters.map((filter) => JSON.parse(filter.Pattern ?? '{}') as Record<string, unknown>),
  };
}
