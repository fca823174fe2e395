import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { S3ObjectStore } from '../adapters/object-store.js';
import { DynamoDbUploadLog } from '../adapters/upload-log.js';
import { CONFIG_ENV, loadConfig, type WorkerConfig } from '../config.js';
import { IngestMetrics } from '../observability.js';
import { createWorkerHandler } from '../worker/create-handler.js';
import { type DynamoDbBackend, type LocalDynamoDb, startDynamoDb } from './dynamodb-server.js';
import { EventSourcePoller, type PollerHandler } from './event-source-poller.js';
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
  /** Ingest queue visibility timeout; short, so local retries show quickly. @default 5 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ. @default 3 */
  readonly maxReceiveCount?: number;
  /** Worker environment on top of the local defaults (same names as the Lambda's). */
  readonly workerEnv?: Readonly<Record<string, string | undefined>>;
  /** Where the worker's EMF lines go. @default nowhere (totals stay readable through `metrics.totals()`) */
  readonly metricsOutput?: (emfLine: string) => void;
  /**
   * Sees each bridged notification before it reaches the ingest queue and decides when (and how
   * often) to `send` it: the load test delays and repeats notifications with it. @default send at once
   */
  readonly notificationTap?: (body: string, send: NotificationSink) => Promise<void>;
  /** Called with the worker's own SDK clients before it starts (the load test counts their calls). */
  readonly instrumentWorkerClients?: (clients: LocalClients) => void;
  /** Replaces the worker's handler (the load test's naive baseline). @default the real worker */
  readonly handler?: (clients: LocalClients, config: WorkerConfig) => PollerHandler;
  /** Event source settings; `false` runs no worker (tools and tests that drive it themselves). */
  readonly worker?:
    | false
    | { readonly batchSize?: number; readonly batchingWindowMs?: number; readonly concurrency?: number };
}

/** What `.local/stack.json` holds: everything a tool or a user's script needs to find the stack. */
export interface StackDescription {
  readonly region: string;
  readonly endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  readonly buckets: { readonly uploads: string; readonly copyDestination: string };
  readonly queues: { readonly ingest: string; readonly dlq: string };
  readonly tables: { readonly uploads: string; readonly idempotency: string };
  /**
   * The worker's settings that tools need (absent in files of older versions): the shard count
   * readers query, and the environment the worker was configured from (what `reprocess` runs with).
   */
  readonly settings?: {
    readonly gsiShardCount: number;
    readonly workerEnv?: Readonly<Record<string, string>>;
  };
}

/** A running local stack. */
export interface LocalStack {
  readonly description: StackDescription;
  readonly names: LocalResourceNames;
  readonly queues: { readonly ingest: QueueRef; readonly dlq: QueueRef };
  readonly clients: { readonly s3: S3Client; readonly sqs: SQSClient; readonly dynamodb: DynamoDBClient };
  /** The worker's own clients (absent when no worker runs): what it calls, and only that. */
  readonly workerClients: LocalClients | undefined;
  readonly workerConfig: WorkerConfig;
  readonly metrics: IngestMetrics;
  readonly bridge: S3NotificationBridge;
  readonly poller: EventSourcePoller | undefined;
  readonly dynamodbBackend: DynamoDbBackend;
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

/** Local rules, so that `--demo` and a user trying things see a rejection. */
const LOCAL_WORKER_DEFAULTS = { [CONFIG_ENV.blockedExtensions]: 'exe,bat,cmd,scr' };

/**
 * Starts S3 + SQS (fauxqs) and DynamoDB on 127.0.0.1, creates the buckets, queues and tables,
 * bridges S3 changes into notifications on the ingest queue, and runs the worker's real handler
 * behind a Lambda-like poller.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const region = options.region ?? 'us-east-1';
  const names: LocalResourceNames = { ...DEFAULT_RESOURCE_NAMES, ...options.names };
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const app = buildApp({ logger: false, defaultRegion: region });
    const watchedBuckets = new Set([names.uploadsBucket]);
    let sinkQueueUrl = '';
    let sqsForSink: SQSClient | undefined;
    const bridge = installS3NotificationBridge(app, {
      region,
      watchedBuckets,
      sequencers: new SequencerClock(),
      sink: async (body) => {
        const send = async (message: string) => {
          await sqsForSink?.send(new SendMessageCommand({ QueueUrl: sinkQueueUrl, MessageBody: message }));
        };
        await (options.notificationTap ? options.notificationTap(body, send) : send(body));
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
    const queues = await createQueues(clients.sqs, names, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5,
      maxReceiveCount: options.maxReceiveCount ?? 3,
    });
    sinkQueueUrl = queues.ingest.url;
    sqsForSink = clients.sqs;
    const { ttl } = await createTables(clients.dynamodb, names);

    const workerEnv: Record<string, string> = {
      ...LOCAL_WORKER_DEFAULTS,
      [CONFIG_ENV.copyDestinationBucket]: names.copyDestinationBucket,
      ...options.workerEnv,
      [CONFIG_ENV.uploadLogTable]: names.uploadLogTable,
      [CONFIG_ENV.idempotencyTable]: names.idempotencyTable,
    };
    const workerConfig = loadConfig(workerEnv);
    const metrics = new IngestMetrics({ write: options.metricsOutput ?? (() => undefined) });
    let poller: EventSourcePoller | undefined;
    let workerClients: LocalClients | undefined;
    if (options.worker !== false) {
      // The worker's own clients, as in Lambda: what it calls can be told from what tests and tools call.
      const ownClients = localClients(description);
      workerClients = ownClients;
      cleanups.push(async () => {
        for (const client of Object.values(ownClients)) client.destroy();
      });
      options.instrumentWorkerClients?.(ownClients);
      const handler = options.handler
        ? options.handler(ownClients, workerConfig)
        : createWorkerHandler({
            config: workerConfig,
            objects: new S3ObjectStore(ownClients.s3),
            log: new DynamoDbUploadLog(ownClients.dynamodb, workerConfig.uploadLogTable),
            dynamoDbClient: ownClients.dynamodb,
            metrics,
          });
      poller = new EventSourcePoller({
        sqs: ownClients.sqs,
        queueUrl: queues.ingest.url,
        queueArn: queues.ingest.arn,
        handler,
        region,
        // Lambda requires the visibility timeout to cover the function timeout; locally they are equal,
        // so an invocation's in-progress idempotency records expire before its records reappear.
        functionTimeoutMs: (options.visibilityTimeoutSeconds ?? 5) * 1000,
        ...options.worker,
      });
      poller.start();
      const running = poller;
      // Stop the worker before the servers it talks to.
      cleanups.push(() => running.stop());
    }
    return {
      description: {
        ...description,
        queues: { ingest: queues.ingest.url, dlq: queues.dlq.url },
        settings: { gsiShardCount: workerConfig.gsiShardCount, workerEnv },
      },
      names,
      queues,
      clients,
      workerClients,
      workerConfig,
      metrics,
      bridge,
      poller,
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
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(description, null, 2)}\n`);
}

/** Removes the stack description (on exit). */
export async function removeStackFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
