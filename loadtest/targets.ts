import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sumEmfCounts } from '../src/local/emf-totals.js';
import type { AwsFrontDoor } from '../src/local/lambda/aws-front-door.js';
import type { ExecutionEnvironments } from '../src/local/lambda/execution-environments.js';
import { CLAMAV_INSTALL_HINT, findClamAv } from '../src/local/malware-scanner.js';
import {
  type LocalStackOptions,
  localCredentials,
  type RuntimeDescription,
  type RuntimeMode,
  startLocalStack,
} from '../src/local/stack.js';
import { executionEnvironmentLogWriter } from '../src/local/terminal-logs.js';
import { snsClientFor } from '../src/tools/event-tail.js';
import { DEFAULT_STACK_FILE, resolveTarget, type TargetOptions } from '../src/tools/target.js';
import { ToolError } from '../src/tools/tool-error.js';
import type { FaultInjector } from './fault-injector.js';
import { clientUploader, type ObjectUploader, threadUploader } from './uploader.js';

export type TargetKind = 'embedded' | 'local' | 'aws';

/** A pipeline the load test drives and checks. */
export interface LoadTarget {
  readonly kind: TargetKind;
  readonly label: string;
  readonly region: string;
  readonly bucket: string;
  readonly ingestQueueUrl: string;
  readonly dlqUrl: string;
  readonly uploadLogTable: string;
  /** Where accepted objects are copied, where the stack copies them. */
  readonly copyDestinationBucket?: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** Makes the workload's uploads (on the embedded target, from a thread of its own). */
  readonly uploader: ObjectUploader;
  /** Whether S3's notifications pass through the fault injector's tap (embedded only). */
  readonly tapped: boolean;
  /** The worker's AWS calls, where the load test runs the worker itself (embedded only). */
  readonly calls?: { snapshot(): Record<string, number> };
  /** The embedded stack's worker runtime: where faults are injected and what the report shows of it. */
  readonly worker?: {
    readonly frontDoor: AwsFrontDoor;
    readonly environments: ExecutionEnvironments | undefined;
    readonly runtime: RuntimeDescription;
  };
  /** The stack's upload events topic, where it has one, and an SNS client for it. */
  readonly events?: { readonly topicArn: string; readonly sns: SNSClient };
  /** The embedded stack's stream event source in front of the publisher, which chaos kills. */
  readonly eventSource?: { kill(): Promise<void>; readonly kills: number; readonly invocations: number };
  /** Resources for one run of the worker (embedded only): worker concurrency and batch size. */
  readonly recordsInFlight?: number;
  /** The worker's EMF count totals since the target was opened, where its EMF output is readable. */
  emfTotals(): Promise<Record<string, number> | undefined>;
  /** Waits until S3's notifications of finished requests have reached the queue (embedded only). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Worker settings of an embedded stack. */
export interface EmbeddedOptions {
  readonly batchSize: number;
  readonly workerConcurrency: number;
  /** Long enough that a batch slowed by the load is not delivered again while it still runs. */
  readonly visibilityTimeoutSeconds: number;
  readonly handler?: LocalStackOptions['handler'];
  readonly dynamodb?: LocalStackOptions['dynamodb'];
  /** @default 'bundle' (the naive baseline handler always runs as source) */
  readonly runtime?: RuntimeMode;
  readonly node?: string;
  /**
   * Synthesize with `malwareProtection` on: the worker gates copies on scans, and ClamAV plays
   * GuardDuty (`--malware-rate`). @throws {ToolError} when ClamAV is not installed
   */
  readonly malwareGate?: boolean;
}

/**
 * Starts a fresh local stack in this process, with the fault injector between S3 and the queue,
 * the worker's SDK clients counted, and its EMF lines kept.
 */
export async function embeddedTarget(injector: FaultInjector, options: EmbeddedOptions): Promise<LoadTarget> {
  if (options.malwareGate && !findClamAv()) {
    throw new ToolError(
      `--malware-rate needs ClamAV to play GuardDuty on the embedded stack: ${CLAMAV_INSTALL_HINT}`,
    );
  }
  const emfLines: string[] = [];
  const stack = await startLocalStack({
    ...(options.malwareGate && { context: { malwareProtection: 'true' }, onNotice: () => undefined }),
    s3Port: 0,
    dynamodbPort: 0,
    ...(options.dynamodb && { dynamodb: options.dynamodb }),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    metricsOutput: (line) => emfLines.push(line),
    notificationTap: injector.tap,
    runtime: options.handler ? 'source' : (options.runtime ?? 'bundle'),
    // What is measured is the pipeline as on AWS, where a busy function does not slow the services.
    environmentsBelowServices: true,
    ...(options.node !== undefined && !options.handler && { node: options.node }),
    // Warnings and errors only, one readable line each; the worker's INFO lines would be the bulk of the run's output.
    workerOutput: executionEnvironmentLogWriter('text', false, 'WARN'),
    ...(options.handler && { handler: options.handler }),
    worker: { batchSize: options.batchSize, concurrency: options.workerConcurrency, batchingWindowMs: 0 },
  });
  const eventsTopic = stack.uploadEvents?.topicArn;
  const sns = eventsTopic
    ? new SNSClient({
        region: stack.description.region,
        endpoint: stack.description.endpoints.sqs,
        credentials: localCredentials(),
      })
    : undefined;
  let uploader: ObjectUploader;
  try {
    uploader = await threadUploader({
      region: stack.description.region,
      endpoint: stack.description.endpoints.s3,
      forcePathStyle: true,
      credentials: localCredentials(),
    });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return {
    kind: 'embedded',
    label: `embedded (${stack.dynamodbBackend})`,
    region: stack.description.region,
    bucket: stack.names.uploadsBucket,
    ingestQueueUrl: stack.queues.ingest.url,
    dlqUrl: stack.queues.dlq.url,
    uploadLogTable: stack.names.uploadLogTable,
    copyDestinationBucket: stack.names.copyDestinationBucket,
    ...stack.clients,
    uploader,
    tapped: true,
    ...(stack.frontDoor && { calls: stack.frontDoor }),
    ...(stack.frontDoor &&
      stack.description.settings?.runtime && {
        worker: {
          frontDoor: stack.frontDoor,
          environments: stack.environments,
          runtime: stack.description.settings.runtime,
        },
      }),
    ...(eventsTopic && sns && { events: { topicArn: eventsTopic, sns } }),
    ...(stack.uploadEvents && { eventSource: stack.uploadEvents }),
    recordsInFlight: options.batchSize * options.workerConcurrency,
    emfTotals: async () => sumEmfCounts(emfLines),
    settle: async () => {
      await stack.bridge.drain();
      await stack.malwareScans?.idle();
    },
    close: async () => {
      await uploader.close();
      sns?.destroy();
      await stack.stop();
    },
  };
}

/**
 * A running `npm start` (from its stack file) or a deployed stack (from its outputs). The worker's
 * EMF totals are read from the local stack's metrics file, from its end at open time.
 */
export async function remoteTarget(options: TargetOptions): Promise<LoadTarget> {
  const { target, clients } = await resolveTarget(options);
  const emfFile =
    target.kind === 'local'
      ? join(dirname(options.stackFile ?? DEFAULT_STACK_FILE), 'worker-metrics.ndjson')
      : undefined;
  const emfStart = emfFile
    ? await stat(emfFile).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  const sns = target.uploadEventsTopic ? snsClientFor(target) : undefined;
  return {
    kind: target.kind,
    label: target.kind === 'local' ? `local (${target.label})` : `aws (${target.label}, ${target.region})`,
    region: target.region,
    bucket: target.ingestBucket,
    ingestQueueUrl: target.ingestQueueUrl,
    dlqUrl: target.dlqUrl,
    uploadLogTable: target.uploadLogTable,
    ...(target.copyDestinationBucket && { copyDestinationBucket: target.copyDestinationBucket }),
    ...clients,
    uploader: clientUploader(clients.s3),
    tapped: false,
    ...(sns && target.uploadEventsTopic && { events: { topicArn: target.uploadEventsTopic, sns } }),
    emfTotals: async () => {
      if (!emfFile) return undefined;
      const handle = await open(emfFile, 'r');
      try {
        const { size } = await handle.stat();
        const buffer = Buffer.alloc(Math.max(0, size - emfStart));
        await handle.read(buffer, 0, buffer.length, emfStart);
        return sumEmfCounts(buffer.toString('utf8').split('\n'));
      } finally {
        await handle.close();
      }
    },
    settle: async () => undefined,
    close: async () => {
      for (const client of Object.values(clients)) client.destroy();
      sns?.destroy();
    },
  };
}

/** The DLQ's `maxReceiveCount`, from the ingest queue's redrive policy. */
export async function maxReceiveCountOf(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const policy = Attributes?.RedrivePolicy;
  if (!policy) throw new ToolError(`queue ${queueUrl} has no redrive policy: is it the ingest queue?`);
  return Number((JSON.parse(policy) as { maxReceiveCount: number | string }).maxReceiveCount);
}
