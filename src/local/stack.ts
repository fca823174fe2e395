import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from 'fauxqs';
import { S3ObjectStore } from '../adapters/object-store.js';
import { DynamoDbUploadLog } from '../adapters/upload-log.js';
import { CONFIG_ENV, loadConfig, type WorkerConfig } from '../config.js';
import { matchesEventPattern } from '../core/event-pattern.js';
import { buildEventBridgeS3Event } from '../core/s3-eventbridge-event.js';
import { buildS3Notification, type S3Change } from '../core/s3-notification.js';
import { GUARDDUTY_SOURCE } from '../core/scan-result.js';
import { createEventsPublisher } from '../events/publisher.js';
import { IngestMetrics, logger, type MetricTotals } from '../observability.js';
import { writePrivateFile } from '../tools/private-files.js';
import { createWorkerHandler } from '../worker/create-handler.js';
import { type DynamoDbBackend, type LocalDynamoDb, startDynamoDb } from './dynamodb-server.js';
import { EmfTotals, isEmfLine, parseEmf } from './emf-totals.js';
import { EventSourcePoller, type PollerHandler } from './event-source-poller.js';
import { AwsFrontDoor, type Upstream } from './lambda/aws-front-door.js';
import { buildWorkerBundle, type WorkerBundle, watchWorkerBundle } from './lambda/bundle.js';
import { ExecutionEnvironments } from './lambda/execution-environments.js';
import { lambdaEnvironment } from './lambda/lambda-environment.js';
import { type NodeRuntime, resolveNodeRuntime } from './lambda/node-runtime.js';
import { LOCAL_CONTEXT, synthesizeLocalTemplate } from './lambda/synthesized-stack.js';
import {
  localWorkerEnvironment,
  type OwnBucketDelivery,
  ownBucketDeliveryOf,
  streamSourceOf,
  type WorkerLambdaSettings,
  workerSettingsOf,
} from './lambda/template-settings.js';
import {
  CLAMAV_INSTALL_HINT,
  findClamAv,
  LocalMalwareScans,
  type LocalScanResult,
  scanWithClamAv,
} from './malware-scanner.js';
import { SequencerClock } from './notification.js';
import {
  createBuckets,
  createQueues,
  createTables,
  DEFAULT_RESOURCE_NAMES,
  type LocalResourceNames,
  type QueueRef,
} from './resources.js';
import {
  installS3NotificationBridge,
  type NotificationSink,
  type S3NotificationBridge,
} from './s3-bridge.js';
import { installBucketVersioning } from './s3-bucket-versioning.js';
import { installOrderedListing } from './s3-listing-order.js';
import { installObjectTagging, LocalObjectTags } from './s3-object-tagging.js';
import { StackActivity } from './stack-activity.js';
import { LocalStreamPoller, type StreamCheckpoint, type StreamSourceSettings } from './stream-poller.js';

/** How to start the local stack. Every field has a default fit for `npm start`. */
export interface LocalStackOptions {
  /** S3 + SQS port. 0 picks a free one. @default 4566 */
  readonly s3Port?: number;
  /** DynamoDB port. 0 picks a free one. @default 8000 */
  readonly dynamodbPort?: number;
  /** @default 'dynalite' */
  readonly dynamodb?: DynamoDbBackend;
  /** @default 'us-east-1' */
  readonly region?: string;
  readonly names?: Partial<LocalResourceNames>;
  /**
   * How the worker runs: `bundle` (as Lambda does: the CDK's bundle in execution environments of
   * its own) or `source` (its TypeScript in this process, for breakpoints).
   * @default 'bundle', or 'source' when {@link handler} replaces the worker
   */
  readonly runtime?: RuntimeMode;
  /** The Node.js the bundle runs on (`current`, `22` or a path). @default 'current' */
  readonly node?: string;
  /**
   * Runs the bundle's environments below this process's CPU priority, so that the services get a
   * core first, as AWS's do (see `ENVIRONMENT_NICE_INCREMENT`): the load test's measurements.
   * @default false (tests and `npm start` share the machine with other work)
   */
  readonly environmentsBelowServices?: boolean;
  /** CDK context (`-c KEY=VALUE`) of the synth the worker's settings come from. */
  readonly context?: Readonly<Record<string, string>>;
  /** Rebuilds the bundle when its sources change, and moves the worker to it (`npm start`). @default false */
  readonly watchBundle?: boolean;
  /** Where the runtime tells of a rebuild (or a rebuild that failed). @default stderr */
  readonly onRuntimeNotice?: (message: string) => void;
  /** Each log line the bundle's environments write (EMF lines go to {@link metricsOutput}). @default this process's stdout/stderr */
  readonly workerOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Ingest queue visibility timeout. @default the template's (6x the function timeout, plus the batching window) */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * The function timeout. @default the template's, or the visibility timeout when that is given and
   * shorter (Lambda requires the visibility timeout to cover the function's)
   */
  readonly functionTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ. @default the template's `maxReceiveCount` */
  readonly maxReceiveCount?: number;
  /** Worker environment on top of the template's (same names as the Lambda's). */
  readonly workerEnv?: Readonly<Record<string, string | undefined>>;
  /** Where the worker's EMF lines go. @default nowhere (totals stay readable through `metrics.totals()`) */
  readonly metricsOutput?: (emfLine: string) => void;
  /**
   * Sees each bridged notification (and each local malware scan result) before it reaches the
   * ingest queue and decides when (and how often) to `send` it: the load test delays and repeats
   * notifications with it. @default send at once
   */
  readonly notificationTap?: (body: string, send: NotificationSink) => Promise<void>;
  /**
   * Plays GuardDuty's part when the template turns malware protection on: scans each new object
   * version and sends GuardDuty's scan result event. `false` turns it off.
   * @default ClamAV when installed (`findClamAv`), else off with a notice
   */
  readonly malwareScanner?: ((bytes: Buffer) => Promise<LocalScanResult>) | false;
  /** Run the upload events chain the template has (the log's stream, the publisher, the topic). @default true */
  readonly uploadEvents?: boolean;
  /** Where the local stack's notices go (malware scanning off). @default stderr */
  readonly onNotice?: (message: string) => void;
  /** Replaces the worker's handler (the load test's naive baseline). @default the real worker */
  readonly handler?: (clients: LocalClients, config: WorkerConfig) => PollerHandler;
  /** Event source settings over the template's; `false` runs no worker (tools and tests that drive it themselves). */
  readonly worker?:
    | false
    | { readonly batchSize?: number; readonly batchingWindowMs?: number; readonly concurrency?: number };
}

/** What `.local/stack.json` holds: everything a tool or a user's script needs to find the stack. */
export interface StackDescription {
  readonly region: string;
  readonly endpoints: {
    readonly s3: string;
    readonly sqs: string;
    readonly dynamodb: string;
    /** The web console `npm start` serves (absent when none runs). */
    readonly console?: string;
  };
  readonly buckets: { readonly uploads: string; readonly copyDestination: string };
  readonly queues: { readonly ingest: string; readonly dlq: string };
  readonly tables: { readonly uploads: string; readonly idempotency: string };
  /** The upload events topic (`topics.uploadEvents`, its ARN), when the stack runs the events. */
  readonly topics?: { readonly uploadEvents?: string };
  /**
   * The worker's settings that tools need (absent in files of older versions): the shard count
   * readers query, and the environment the worker was configured from (what `reprocess` runs with).
   */
  readonly settings?: {
    readonly gsiShardCount: number;
    readonly workerEnv?: Readonly<Record<string, string>>;
    /** How the worker runs, and the template settings it runs with (absent in older files and without a worker). */
    readonly runtime?: RuntimeDescription;
  };
}

/** How the worker runs. */
export type RuntimeMode = 'bundle' | 'source';

/** Every runtime mode, for option validation. */
export const RUNTIME_MODES: readonly RuntimeMode[] = ['bundle', 'source'];

/** The worker's runtime as the stack file and the load test report show it. */
export interface RuntimeDescription {
  readonly mode: RuntimeMode;
  /** Node.js version the worker runs on. */
  readonly node: string;
  /** The bundle's content hash (bundle mode). */
  readonly bundle?: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly maxConcurrency: number;
  readonly reportBatchItemFailures: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

/** A running local stack. */
export interface LocalStack {
  readonly description: StackDescription;
  readonly names: LocalResourceNames;
  readonly queues: { readonly ingest: QueueRef; readonly dlq: QueueRef };
  readonly clients: { readonly s3: S3Client; readonly sqs: SQSClient; readonly dynamodb: DynamoDBClient };
  readonly workerConfig: WorkerConfig;
  /** The worker's count metrics, summed from the EMF it emitted. */
  readonly metrics: { totals(): Readonly<MetricTotals> };
  /** The worker's EMF lines and invocations as they happen (the console's local metrics). */
  readonly activity: StackActivity;
  /** Between the worker and the services: records its calls and permissions, injects faults. Absent without a worker. */
  readonly frontDoor: AwsFrontDoor | undefined;
  /** The execution environments (bundle mode). */
  readonly environments: ExecutionEnvironments | undefined;
  /** The template's settings for the worker (absent without a worker). */
  readonly lambdaSettings: WorkerLambdaSettings | undefined;
  readonly bridge: S3NotificationBridge;
  readonly poller: EventSourcePoller | undefined;
  readonly dynamodbBackend: DynamoDbBackend;
  /** The upload events chain (the log's stream, the publisher, the topic), when the template has one. */
  readonly uploadEvents: LocalUploadEvents | undefined;
  /** The malware scans (ClamAV in GuardDuty's place), when the template protects the bucket and a scanner runs. */
  readonly malwareScans: LocalMalwareScans | undefined;
  /** Whether TTL is enabled on the tables (not on dynalite). */
  readonly ttlEnabled: boolean;
  /** Stops the worker, then the servers; no port stays bound. */
  stop(): Promise<void>;
}

/** Credentials the local servers accept (they check none). A fresh object each time: the SDK annotates it. */
export const localCredentials = () => ({ accessKeyId: 'local', secretAccessKey: 'local' });

/** The S3, SQS and DynamoDB clients of a local stack. */
export type LocalClients = ReturnType<typeof localClients>;

/** SDK clients pointed at a local stack's endpoints. */
export function localClients(description: Pick<StackDescription, 'region' | 'endpoints'>) {
  const { region } = description;
  return {
    s3: new S3Client({
      region,
      credentials: localCredentials(),
      endpoint: description.endpoints.s3,
      forcePathStyle: true,
    }),
    sqs: new SQSClient({ region, credentials: localCredentials(), endpoint: description.endpoints.sqs }),
    dynamodb: new DynamoDBClient({
      region,
      credentials: localCredentials(),
      endpoint: description.endpoints.dynamodb,
    }),
  };
}

/** The worker settings of a stack that runs no worker (what `reprocess` runs with there): {@link LOCAL_CONTEXT}'s. */
const TOOLS_ONLY_WORKER_ENV = { [CONFIG_ENV.blockedExtensions]: LOCAL_CONTEXT.blockedExtensions ?? '' };

/** The account the local stack's ARNs and EventBridge events name. */
const LOCAL_ACCOUNT = '000000000000';

/**
 * What the ingest queue receives for one change of the uploads bucket: its S3 notification when the
 * bucket's notification configuration sends to the queue, its EventBridge event when a rule of the
 * template matches it (the rules run on the default bus in AWS; here, their patterns are matched).
 */
function messagesFor(change: S3Change, delivery: OwnBucketDelivery): string[] {
  const bodies: string[] = [];
  if (delivery.notifications) bodies.push(JSON.stringify(buildS3Notification(change)));
  if (delivery.eventPatterns.length > 0) {
    const event = buildEventBridgeS3Event(change, LOCAL_ACCOUNT, randomUUID());
    if (delivery.eventPatterns.some((pattern) => matchesEventPattern(pattern, event))) {
      bodies.push(JSON.stringify(event));
    }
  }
  return bodies;
}

/**
 * The malware scans, when the template sends GuardDuty's scan results to the queue: with the
 * scanner given, or ClamAV when it is installed; without one, a notice says scanning is off.
 */
function startMalwareScans(options: {
  app: FastifyInstance;
  tags: LocalObjectTags;
  delivery: OwnBucketDelivery;
  region: string;
  send: (body: string) => Promise<void>;
  scanner: LocalStackOptions['malwareScanner'];
  notice: (message: string) => void;
}): LocalMalwareScans | undefined {
  const protectedBucket = options.delivery.eventPatterns.some((pattern) =>
    JSON.stringify(pattern.source ?? []).includes(GUARDDUTY_SOURCE),
  );
  if (!protectedBucket || options.scanner === false) return undefined;
  let scan = options.scanner;
  if (!scan) {
    const engine = findClamAv();
    if (!engine) {
      options.notice(
        `malware scanning is off locally: ClamAV is not installed (${CLAMAV_INSTALL_HINT}); uploads stay scanStatus PENDING`,
      );
      return undefined;
    }
    options.notice(`malware scans: ${engine.description}, in GuardDuty's place`);
    scan = (bytes) => scanWithClamAv(engine, bytes);
  }
  return new LocalMalwareScans({
    app: options.app,
    tags: options.tags,
    scan,
    send: options.send,
    eventPatterns: () => options.delivery.eventPatterns,
    region: options.region,
    account: LOCAL_ACCOUNT,
    onError: (error) => logger.error('local malware scan failed', { error }),
  });
}

/** The upload events chain of a local stack. */
export interface LocalUploadEvents {
  readonly topicArn: string;
  /** The publisher's and its event source's calls, with the permissions they needed. */
  readonly frontDoor: AwsFrontDoor;
  /** The stream event source; a test stops it and starts another from its checkpoint. */
  poller: LocalStreamPoller;
  /** Starts a new poller from the current one's checkpoint (after `poller.stop()`: a restart). */
  restart(): Promise<void>;
  /**
   * Kills the event source as a crash would: the batch in hand is published but its checkpoint is
   * lost, so the next poller hands it over again (its events repeat, with the same ids).
   */
  kill(): Promise<void>;
  /** Kills so far. */
  readonly kills: number;
  /** Invocations of the publisher so far (each a batch of stream records). */
  readonly invocations: number;
  stop(): Promise<void>;
}

/**
 * The upload events on the local stack, as the template configures them: a topic in the embedded
 * SNS, and the publisher (in this process) behind a stream event source on the log's stream with
 * the template's batch size and filters.
 */
async function startUploadEvents(options: {
  description: StackDescription;
  names: LocalResourceNames;
  region: string;
  settings: StreamSourceSettings;
  dynamodb: DynamoDBClient;
  /** The services the publisher and its event source call, through a front door of their own. */
  upstream: { s3: Upstream; dynamodb: Upstream };
}): Promise<LocalUploadEvents> {
  const { region } = options;
  // Their calls are recorded apart from the worker's: the deploy-parity test checks them against
  // the publisher's role, and the load test counts what they cost.
  const frontDoor = await AwsFrontDoor.start(options.upstream, region);
  const sns = new SNSClient({ region, credentials: localCredentials(), endpoint: frontDoor.endpoint });
  const streams = new DynamoDBStreamsClient({
    region,
    credentials: localCredentials(),
    endpoint: frontDoor.endpoint,
  });
  // The topic is the stack's (CloudFormation makes it on AWS): created past the publisher's front door.
  const setup = new SNSClient({
    region,
    credentials: localCredentials(),
    endpoint: options.description.endpoints.sqs,
  });
  const { TopicArn } = await setup.send(new CreateTopicCommand({ Name: options.names.uploadEventsTopic }));
  setup.destroy();
  if (!TopicArn) throw new Error('the embedded SNS created no upload events topic');
  const publish = createEventsPublisher({ sns, topicArn: TopicArn });
  const handler: typeof publish = (event) => {
    (events as { invocations: number }).invocations += 1;
    return publish(event);
  };
  const pollerFrom = (checkpoint?: StreamCheckpoint) =>
    new LocalStreamPoller({
      dynamodb: options.dynamodb,
      streams,
      tableName: options.names.uploadLogTable,
      region,
      settings: options.settings,
      handler,
      ...(checkpoint && { checkpoint }),
      onError: (error) => logger.error('local upload events: the stream poller failed', { error }),
    });
  const events: LocalUploadEvents = {
    topicArn: TopicArn,
    frontDoor,
    poller: pollerFrom(),
    async restart() {
      await events.poller.stop();
      events.poller = pollerFrom(events.poller.checkpoint);
      await events.poller.start();
    },
    kills: 0,
    invocations: 0,
    async kill() {
      const checkpoint = new Map(events.poller.checkpoint);
      await events.poller.stop();
      events.poller = pollerFrom(checkpoint);
      (events as { kills: number }).kills += 1;
      await events.poller.start();
    },
    async stop() {
      await events.poller.stop();
      sns.destroy();
      streams.destroy();
      await frontDoor.close();
    },
  };
  await events.poller.start();
  return events;
}

/** One bundle build per process for stacks that do not watch their sources (tests, the load test). */
let sharedBundle: Promise<WorkerBundle> | undefined;

/** Where an execution environment's log lines go by default: where this process's own would. */
function writeWorkerLine(line: string, stream: 'stdout' | 'stderr'): void {
  (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`);
}

/**
 * Starts S3 + SQS (fauxqs) and DynamoDB on 127.0.0.1, creates the buckets, queues and tables,
 * bridges S3 changes into notifications on the ingest queue, and runs the worker as the
 * synthesized stack configures it: the CDK's bundle in execution environments of its own (or its
 * source in this process), behind a poller with the event source mapping's semantics and the
 * front door that records its calls.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const region = options.region ?? 'us-east-1';
  const names: LocalResourceNames = { ...DEFAULT_RESOURCE_NAMES, ...options.names };
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    // fauxqs lists in locale order and sorts the bucket on every call; S3 lists in binary order.
    await installOrderedListing();
    const app = buildApp({ logger: false, defaultRegion: region });
    // fauxqs answers GetBucketVersioning with a listing and PutBucketVersioning by creating the bucket.
    installBucketVersioning(app);
    const objectTags = new LocalObjectTags();
    installObjectTagging(app, objectTags);
    const watchedBuckets = new Set([names.uploadsBucket]);
    let sinkQueueUrl = '';
    let malwareScans: LocalMalwareScans | undefined;
    // S3 delivers its notifications (and EventBridge its events) inside AWS: here inside this
    // process, no socket and no SDK client (the same SQS JSON request, answered by the emulator's router).
    const sendToQueue = async (message: string) => {
      const answer = await app.inject({
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
        payload: JSON.stringify({ QueueUrl: sinkQueueUrl, MessageBody: message }),
      });
      if (answer.statusCode >= 300) throw new Error(`SendMessage of a notification failed: ${answer.body}`);
    };
    // As the synthesized stack hears its own bucket (read below): by notifications until it says otherwise.
    let delivery: OwnBucketDelivery = { notifications: true, eventPatterns: [] };
    const bridge = installS3NotificationBridge(app, {
      region,
      watchedBuckets,
      sequencers: new SequencerClock(),
      messagesFor: (change) => {
        // GuardDuty scans each new version of a protected bucket's objects.
        if (malwareScans && change.eventName.startsWith('ObjectCreated:') && change.eTag) {
          malwareScans.add({
            bucket: change.bucket,
            key: change.key,
            eTag: change.eTag,
            ...(change.versionId !== undefined && { versionId: change.versionId }),
          });
        }
        return messagesFor(change, delivery);
      },
      sink: async (body) => {
        await (options.notificationTap ? options.notificationTap(body, sendToQueue) : sendToQueue(body));
      },
    });
    // fauxqs' own CLI binds every interface; embedded, it listens on loopback only.
    const address = await app.listen({ host: '127.0.0.1', port: options.s3Port ?? 4566 });
    cleanups.push(() => app.close());
    const dynamo: LocalDynamoDb = await startDynamoDb(
      options.dynamodb ?? 'dynalite',
      options.dynamodbPort ?? 8000,
    );
    cleanups.push(() => dynamo.stop());

    const description: StackDescription = {
      region,
      endpoints: { s3: address, sqs: address, dynamodb: dynamo.endpoint },
      buckets: { uploads: names.uploadsBucket, copyDestination: names.copyDestinationBucket },
      queues: { ingest: '', dlq: '' },
      tables: { uploads: names.uploadLogTable, idempotency: names.idempotencyTable },
    };
    const clients = localClients(description);
    cleanups.push(async () => {
      for (const client of Object.values(clients)) client.destroy();
    });
    // Notifications of responses already sent still reach the queue before the clients close.
    cleanups.push(() => bridge.drain());
    await createBuckets(clients.s3, names);
    // The worker runs with what the synthesized stack gives it; a stack without one needs no synth.
    const template = options.worker === false ? undefined : await synthesizeLocalTemplate(options.context);
    const lambdaSettings = template && workerSettingsOf(template);
    if (template && lambdaSettings) {
      delivery = ownBucketDeliveryOf(template, lambdaSettings.queue.logicalId, names.uploadsBucket);
    }
    const visibilityTimeoutSeconds =
      options.visibilityTimeoutSeconds ?? lambdaSettings?.queue.visibilityTimeoutSeconds ?? 5;
    const maxReceiveCount = options.maxReceiveCount ?? lambdaSettings?.queue.maxReceiveCount ?? 3;
    const queues = await createQueues(clients.sqs, names, {
      visibilityTimeoutSeconds,
      maxReceiveCount,
      ...(lambdaSettings && {
        retentionSeconds: lambdaSettings.queue.retentionSeconds,
        dlqRetentionSeconds: lambdaSettings.deadLetterQueue.retentionSeconds,
      }),
    });
    sinkQueueUrl = queues.ingest.url;
    malwareScans = startMalwareScans({
      app,
      tags: objectTags,
      delivery,
      region,
      // GuardDuty's results go to the queue as the notifications do: through the tap, when there is one.
      send: (body) =>
        options.notificationTap ? options.notificationTap(body, sendToQueue) : sendToQueue(body),
      scanner: options.malwareScanner,
      notice: options.onNotice ?? ((message) => process.stderr.write(`${message}\n`)),
    });
    if (malwareScans) {
      const scans = malwareScans;
      cleanups.push(() => scans.idle());
    }
    // The upload events read the log's stream: DynamoDB Local's own, or the one kept in front of dynalite.
    const streamSource = template && options.uploadEvents !== false ? streamSourceOf(template) : undefined;
    const { ttl } = await createTables(clients.dynamodb, names, { stream: streamSource !== undefined });

    const workerEnv: Record<string, string> = lambdaSettings
      ? localWorkerEnvironment(lambdaSettings.environment, names, { ingestQueue: queues.ingest.url })
      : { ...TOOLS_ONLY_WORKER_ENV, [CONFIG_ENV.copyDestinationBucket]: names.copyDestinationBucket };
    for (const [name, value] of Object.entries(options.workerEnv ?? {})) {
      if (value === undefined) delete workerEnv[name];
      else workerEnv[name] = value;
    }
    workerEnv[CONFIG_ENV.uploadLogTable] = names.uploadLogTable;
    workerEnv[CONFIG_ENV.idempotencyTable] = names.idempotencyTable;
    const workerConfig = loadConfig(workerEnv);
    const metrics = new EmfTotals();
    const activity = new StackActivity();
    const emitEmf = (line: string) => {
      const document = parseEmf(line);
      if (document) {
        metrics.add(document);
        activity.emf.emit(document);
      }
      options.metricsOutput?.(line);
    };
    let poller: EventSourcePoller | undefined;
    let frontDoor: AwsFrontDoor | undefined;
    let environments: ExecutionEnvironments | undefined;
    let runtime: RuntimeDescription | undefined;
    if (lambdaSettings) {
      // The services in this process get the front door's requests without a second trip through a
      // socket (their request listeners are called as their servers would call them).
      const door = await AwsFrontDoor.start(
        { s3: (req, res) => app.routing(req, res), dynamodb: dynamo.dispatch ?? dynamo.endpoint },
        region,
      );
      frontDoor = door;
      cleanups.push(() => door.close());
      // The poller's (and the source runtime's) clients, through the front door like the bundle's.
      const ownClients = localClients({
        region,
        endpoints: { s3: door.endpoint, sqs: door.endpoint, dynamodb: door.endpoint },
      });
      cleanups.push(async () => {
        for (const client of Object.values(ownClients)) client.destroy();
      });
      const mode = options.runtime ?? (options.handler ? 'source' : 'bundle');
      if (mode === 'bundle' && options.handler)
        throw new Error('a replaced handler runs in the source runtime only');
      const timeoutSeconds =
        options.functionTimeoutSeconds ??
        Math.min(lambdaSettings.timeoutSeconds, options.visibilityTimeoutSeconds ?? Number.POSITIVE_INFINITY);
      const overrides = options.worker || {};
      const eventSource = {
        batchSize: overrides.batchSize ?? lambdaSettings.eventSource.batchSize,
        batchingWindowMs:
          overrides.batchingWindowMs ?? lambdaSettings.eventSource.maximumBatchingWindowSeconds * 1000,
        concurrency: overrides.concurrency ?? lambdaSettings.eventSource.maximumConcurrency,
      };
      let handler: PollerHandler;
      let node: NodeRuntime = { path: process.execPath, version: process.version };
      let bundle: WorkerBundle | undefined;
      if (mode === 'bundle') {
        node = resolveNodeRuntime(options.node);
        const notice = options.onRuntimeNotice ?? ((message: string) => process.stderr.write(`${message}\n`));
        if (options.watchBundle) {
          const watched = await watchWorkerBundle({
            onRebuild: (rebuilt) => {
              environments?.useBundle(rebuilt.file);
              notice(`worker rebuilt (bundle ${rebuilt.hash}): new invocations run it`);
            },
            onError: (message) =>
              notice(`worker rebuild failed; still running the previous bundle: ${message}`),
          });
          cleanups.push(() => watched.stop());
          bundle = watched.first;
        } else {
          sharedBundle ??= buildWorkerBundle();
          bundle = await sharedBundle;
        }
        const functionName = `${names.ingestQueue}-worker`;
        const pool = new ExecutionEnvironments({
          bundleFile: bundle.file,
          handlerExport: lambdaSettings.handler.split('.').pop() ?? 'handler',
          nodePath: node.path,
          environment: lambdaEnvironment({
            functionName,
            region,
            settings: lambdaSettings,
            endpoint: door.endpoint,
            workerEnv,
          }),
          timeoutMs: timeoutSeconds * 1000,
          memorySize: lambdaSettings.memorySize,
          functionName,
          region,
          servicesFirst: options.environmentsBelowServices ?? false,
          onOutput: (line, stream) => {
            if (stream === 'stdout' && isEmfLine(line)) emitEmf(line);
            else (options.workerOutput ?? writeWorkerLine)(line, stream);
          },
        });
        environments = pool;
        cleanups.push(() => pool.stop());
        handler = (event) => pool.invoke(event);
      } else {
        handler = options.handler
          ? options.handler(ownClients, workerConfig)
          : createWorkerHandler({
              config: workerConfig,
              objects: new S3ObjectStore(ownClients.s3),
              log: new DynamoDbUploadLog(ownClients.dynamodb, workerConfig.uploadLogTable),
              dynamoDbClient: ownClients.dynamodb,
              metrics: new IngestMetrics({ write: emitEmf }),
            });
      }
      poller = new EventSourcePoller({
        sqs: ownClients.sqs,
        queueUrl: queues.ingest.url,
        queueArn: queues.ingest.arn,
        handler,
        region,
        functionTimeoutMs: timeoutSeconds * 1000,
        reportBatchItemFailures: lambdaSettings.eventSource.reportBatchItemFailures,
        ...eventSource,
        onInvocation: (report) => activity.invocations.emit(report),
        visibilityTimeoutMs: visibilityTimeoutSeconds * 1000,
      });
      poller.start();
      const running = poller;
      // Stop the worker before the servers it talks to.
      cleanups.push(() => running.stop());
      runtime = {
        mode,
        node: node.version,
        ...(bundle && { bundle: bundle.hash }),
        timeoutSeconds,
        memorySize: lambdaSettings.memorySize,
        batchSize: eventSource.batchSize,
        batchingWindowMs: eventSource.batchingWindowMs,
        maxConcurrency: eventSource.concurrency,
        reportBatchItemFailures: lambdaSettings.eventSource.reportBatchItemFailures,
        visibilityTimeoutSeconds,
        maxReceiveCount,
      };
    }
    const uploadEvents = streamSource
      ? await startUploadEvents({
          description,
          names,
          region,
          settings: streamSource,
          dynamodb: clients.dynamodb,
          upstream: { s3: (req, res) => app.routing(req, res), dynamodb: dynamo.dispatch ?? dynamo.endpoint },
        })
      : undefined;
    if (uploadEvents) cleanups.push(() => uploadEvents.stop());
    return {
      uploadEvents,
      description: {
        ...description,
        ...(uploadEvents && { topics: { uploadEvents: uploadEvents.topicArn } }),
        queues: { ingest: queues.ingest.url, dlq: queues.dlq.url },
        settings: { gsiShardCount: workerConfig.gsiShardCount, workerEnv, ...(runtime && { runtime }) },
      },
      names,
      queues,
      clients,
      workerConfig,
      metrics,
      activity,
      frontDoor,
      environments,
      lambdaSettings,
      bridge,
      poller,
      malwareScans,
      dynamodbBackend: dynamo.backend,
      ttlEnabled: ttl,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Writes the stack description where tools look for it. */
export async function writeStackFile(path: string, description: StackDescription): Promise<void> {
  // Owner only: it names the console's URL with its token.
  await writePrivateFile(path, `${JSON.stringify(description, null, 2)}\n`);
}

/** Removes the stack description (on exit). */
export async function removeStackFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
