import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../observability.js';

/** Settings with the meaning of a Lambda SQS event source mapping. */
export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: PollerHandler;
  /** Most records per invocation. @default 10 */
  readonly batchSize?: number;
  /** How long to gather records for a batch once the first arrived. @default 0 */
  readonly batchingWindowMs?: number;
  /** Invocations that may run at once (Lambda's maximum concurrency). @default 2 */
  readonly concurrency?: number;
  /** The function timeout, for the context's `getRemainingTimeInMillis`. @default 30000 */
  readonly functionTimeoutMs?: number;
  /**
   * The mapping's `ReportBatchItemFailures`: when off, a response's `batchItemFailures` mean
   * nothing and a batch that returns is deleted whole, as Lambda does. @default true
   */
  readonly reportBatchItemFailures?: boolean;
  readonly region?: string;
  /**
   * The queue's visibility timeout: a batch acknowledged later than this after its first receive
   * may have been received, and handled, a second time; the poller warns. @default none (no check)
   */
  readonly visibilityTimeoutMs?: number;
  /** Told of each invocation when it ends (the console's Lambda metrics). */
  readonly onInvocation?: (invocation: InvocationReport) => void;
}

/** One finished invocation, as Lambda's metrics see it. */
export interface InvocationReport {
  readonly durationMs: number;
  /** The invocation failed as a whole (Lambda's `Errors`). */
  readonly failed: boolean;
  /** Invocations running when it started, itself included (Lambda's `ConcurrentExecutions`). */
  readonly concurrent: number;
}

/** Counters of a poller, for status lines and tests. */
export interface PollerStats {
  invocations: number;
  recordsReceived: number;
  recordsDeleted: number;
  recordsFailed: number;
  invocationErrors: number;
  /** Batches acknowledged after their visibility timeout (their messages may have been handled twice). */
  batchesPastVisibility: number;
}

/** A Lambda SQS handler that reports partial batch failures. */
export type PollerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Drives the worker handler from an SQS queue the way Lambda's event source mapping does:
 * long-polls, gathers a batch (batch size, batching window), invokes with a Lambda-like context,
 * deletes the records that succeeded and leaves those in `batchItemFailures` (or the whole batch,
 * when the invocation throws) to reappear after the visibility timeout. The queue's own redrive
 * policy moves a record to the DLQ after `maxReceiveCount` receives.
 *
 * One receive loop feeds up to `concurrency` invocations: it long-polls only while an invocation
 * slot is free. (One loop per slot would put every idle loop in a long poll, and the local SQS
 * answers all of them when one message arrives: each message would cost a receive per slot.)
 */
export class EventSourcePoller {
  readonly stats: PollerStats = {
    invocations: 0,
    recordsReceived: 0,
    recordsDeleted: 0,
    recordsFailed: 0,
    invocationErrors: 0,
    batchesPastVisibility: 0,
  };
  readonly #options: Required<Omit<PollerOptions, 'region' | 'onInvocation' | 'visibilityTimeoutMs'>> &
    Pick<PollerOptions, 'onInvocation' | 'visibilityTimeoutMs'> & { region: string };
  readonly #abort = new AbortController();
  readonly #slots: InvocationSlots;
  readonly #running = new Set<Promise<void>>();
  #loop: Promise<void> = Promise.resolve();
  #firstReceivedAt = 0;

  constructor(options: PollerOptions) {
    this.#options = {
      batchSize: 10,
      batchingWindowMs: 0,
      concurrency: 2,
      functionTimeoutMs: 30_000,
      reportBatchItemFailures: true,
      region: 'us-east-1',
      ...options,
    };
    this.#slots = new InvocationSlots(Math.max(1, this.#options.concurrency));
  }

  /** Starts polling. */
  start(): void {
    this.#loop = this.#receiveLoop();
  }

  /** Stops polling, waits for invocations in progress, and leaves unfinished records on the queue. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await Promise.all(this.#running);
  }

  async #receiveLoop(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.#slots.acquire();
      if (this.#abort.signal.aborted) break;
      let messages: Message[];
      try {
        messages = await this.#gatherBatch();
      } catch (error) {
        this.#slots.release();
        if (this.#abort.signal.aborted) return;
        logger.warn('local poller could not receive; retrying', { error });
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (messages.length === 0) {
        this.#slots.release();
        continue;
      }
      const invocation = this.#invoke(messages, this.#firstReceivedAt)
        .catch((error: unknown) => logger.error('local poller could not finish a batch', { error }))
        .finally(() => {
          this.#running.delete(invocation);
          this.#slots.release();
        });
      this.#running.add(invocation);
    }
  }

  /** One ReceiveMessage of at most `max` (at most 10) messages. */
  async #receive(max: number, waitSeconds: number): Promise<Message[]> {
    const response = await this.#options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.#abort.signal },
    );
    return response.Messages ?? [];
  }

  /**
   * Long-polls for a first message, then tops the batch up while the batching window is open, or
   * while each receive came back full (more may be waiting for a batch larger than 10).
   */
  async #gatherBatch(): Promise<Message[]> {
    const { batchSize, batchingWindowMs } = this.#options;
    const firstAsked = Math.min(10, batchSize);
    const batch = await this.#receive(firstAsked, 1);
    // The batch's visibility timeout runs from here (one receive loop: a field is enough).
    this.#firstReceivedAt = Date.now();
    const deadline = Date.now() + batchingWindowMs;
    let lastFull = batch.length === firstAsked;
    while (batch.length > 0 && batch.length < batchSize && !this.#abort.signal.aborted) {
      if (!lastFull && Date.now() >= deadline) break;
      const asked = Math.min(10, batchSize - batch.length);
      const more = await this.#receive(asked, 0);
      batch.push(...more);
      lastFull = more.length === asked;
      if (more.length === 0)
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(50, deadline - Date.now()))));
    }
    return batch;
  }

  async #invoke(messages: Message[], receivedAt: number): Promise<void> {
    const records = messages.map((message) => this.#toRecord(message));
    this.stats.invocations += 1;
    this.stats.recordsReceived += records.length;
    let failed: Set<string>;
    const started = performance.now();
    const concurrent = this.#running.size + 1;
    let invocationFailed = false;
    try {
      const response = await this.#options.handler({ Records: records }, this.#context());
      failed = this.#options.reportBatchItemFailures
        ? new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier))
        : new Set();
    } catch (error) {
      // Like Lambda: an invocation error leaves the whole batch for redelivery.
      this.stats.invocationErrors += 1;
      invocationFailed = true;
      logger.error('local worker invocation failed; the batch will be delivered again', { error });
      failed = new Set(records.map((record) => record.messageId));
    }
    this.#options.onInvocation?.({
      durationMs: performance.now() - started,
      failed: invocationFailed,
      concurrent,
    });
    this.stats.recordsFailed += failed.size;
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    const heldMs = Date.now() - receivedAt;
    const visibility = this.#options.visibilityTimeoutMs;
    if (visibility !== undefined && heldMs > visibility && done.length > 0) {
      // As on AWS: the messages were visible again before this delete, so another receive may have
      // handled them too (and counted them). The stack's 6x visibility rule exists to prevent this.
      this.stats.batchesPastVisibility += 1;
      logger.warn(
        'a batch was acknowledged after its visibility timeout: its messages may be handled twice',
        {
          heldMs: Math.round(heldMs),
          visibilityTimeoutMs: visibility,
          messages: done.length,
        },
      );
    }
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10);
      await this.#options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      this.stats.recordsDeleted += chunk.length;
    }
  }

  #toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? randomUUID(),
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#options.queueArn,
      awsRegion: this.#options.region,
    };
  }

  #context(): Context {
    const deadline = Date.now() + this.#options.functionTimeoutMs;
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: 's3-ingest-local-worker',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.#options.region}:000000000000:function:s3-ingest-local-worker`,
      memoryLimitInMB: '1024',
      awsRequestId: randomUUID(),
      logGroupName: '/local/s3-ingest',
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }
}

/** A counting semaphore: how many invocations may run at once. */
class InvocationSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves once a slot is free, and takes it. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back, to the longest waiter if there is one. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}
