import { readFile } from 'node:fs/promises';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import {
  type MessageFilter,
  type MessageSummary,
  onlyUnwatchedBuckets,
  summarizeMessage,
} from './dlq-messages.js';
import { openPrivateAppend } from './private-files.js';
import type { ToolTarget } from './target.js';
import { ToolError } from './tool-error.js';

/** Depth and age of one queue. */
export interface QueueStatus {
  readonly url: string;
  readonly visible: number;
  readonly inFlight: number;
  /** Seconds; absent where it cannot be read without disturbing the queue. */
  readonly oldestAgeSeconds?: number;
}

/** Visible and in-flight messages of a queue. */
export async function queueDepth(
  sqs: SQSClient,
  url: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** The ingest queue's oldest-message age: CloudWatch on AWS, the emulator's inspection API locally. */
export async function ingestOldestAge(
  target: ToolTarget,
  endpoint: string | undefined,
): Promise<number | undefined> {
  const now = Date.now();
  if (target.kind === 'local' && endpoint) {
    const name = target.ingestQueueUrl.split('/').pop() ?? '';
    const response = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(name)}`);
    if (!response.ok) return undefined;
    const inspection = (await response.json()) as {
      messages: { ready: { sentTimestamp: number }[]; inflight: { message: { sentTimestamp: number } }[] };
    };
    const sent = [
      ...inspection.messages.ready.map((m) => m.sentTimestamp),
      ...inspection.messages.inflight.map((m) => m.message.sentTimestamp),
    ];
    return sent.length > 0 ? (now - Math.min(...sent)) / 1000 : 0;
  }
  if (target.kind !== 'aws') return undefined;
  const cloudWatch = new CloudWatchClient({ region: target.region });
  try {
    const { Datapoints = [] } = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: target.ingestQueueUrl.split('/').pop() ?? '' }],
        StartTime: new Date(now - 15 * 60_000),
        EndTime: new Date(now),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    const latest = Datapoints.sort(
      (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
    )[0];
    return latest?.Maximum;
  } finally {
    cloudWatch.destroy();
  }
}

/**
 * Depth of the ingest queue and the DLQ, and the age of the oldest message of each. The DLQ's
 * oldest age comes from a short peek (harmless there); the ingest queue is never received from.
 */
export async function queueStatuses(
  sqs: SQSClient,
  target: ToolTarget,
  localEndpoint?: string,
): Promise<{ ingest: QueueStatus; dlq: QueueStatus }> {
  const [ingestDepth, dlqDepth, ingestAge, dlqPeek] = await Promise.all([
    queueDepth(sqs, target.ingestQueueUrl),
    queueDepth(sqs, target.dlqUrl),
    ingestOldestAge(target, localEndpoint).catch(() => undefined),
    peekMessages(sqs, target.dlqUrl, 10),
  ]);
  const dlqAges = dlqPeek.map((m) => m.ageSeconds ?? 0);
  return {
    ingest: {
      url: target.ingestQueueUrl,
      ...ingestDepth,
      ...(ingestAge !== undefined && { oldestAgeSeconds: ingestAge }),
    },
    dlq: {
      url: target.dlqUrl,
      ...dlqDepth,
      ...(dlqAges.length > 0 && { oldestAgeSeconds: Math.max(...dlqAges) }),
    },
  };
}

async function receive(
  sqs: SQSClient,
  url: string,
  max: number,
  visibilitySeconds: number,
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      WaitTimeSeconds: 1,
      VisibilityTimeout: visibilitySeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

async function release(sqs: SQSClient, url: string, messages: readonly Message[]): Promise<void> {
  await Promise.all(
    messages.map((m) =>
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ),
  );
}

/**
 * Reads up to `limit` messages and makes them visible again at once: a peek holds them for
 * a moment only (each still counts one receive).
 */
export async function peekMessages(sqs: SQSClient, url: string, limit: number): Promise<MessageSummary[]> {
  const held: Message[] = [];
  const seen = new Set<string>();
  try {
    while (held.length < limit) {
      const batch = await receive(sqs, url, limit - held.length, 10);
      const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ''));
      held.push(...batch);
      if (fresh.length === 0) break;
      for (const m of fresh) seen.add(m.MessageId ?? '');
    }
  } finally {
    await release(sqs, url, held);
  }
  const now = Date.now();
  const unique = new Map(held.map((m) => [m.MessageId, m]));
  return [...unique.values()].slice(0, limit).map((m) => summarizeMessage(m, now));
}

/** Progress of a move or discard, reported after every message. */
export interface MoveProgress {
  readonly scanned: number;
  readonly moved: number;
  /** Messages that did not match the filter, and stay. */
  readonly skipped: number;
  /** Messages kept because every bucket they name is one the stack does not watch. */
  readonly unwatched: number;
}

/** How to move messages by hand. */
export interface MoveOptions {
  readonly from: string;
  readonly to: string;
  readonly filter?: MessageFilter;
  /** Most messages per second. @default unlimited */
  readonly rate?: number;
  /** Count what would move, move nothing. */
  readonly dryRun?: boolean;
  readonly limit?: number;
  /**
   * The stack's watched buckets: a message whose records all name other buckets stays where it is
   * and is counted as `unwatched` (the worker would only ignore it). @default every message moves
   */
  readonly watchedBuckets?: readonly string[];
  readonly onProgress?: (progress: MoveProgress) => void;
}

/** Waits until `count` items fit `rate` per second since `startedMs`; no wait without a rate. */
async function keepRate(startedMs: number, count: number, rate: number | undefined): Promise<void> {
  if (!rate) return;
  const due = startedMs + (count / rate) * 1000;
  if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
}

/** Sends a message's body (and attributes, when it has any) to a queue. */
async function sendCopy(
  sqs: SQSClient,
  url: string,
  body: string,
  attributes: Record<string, MessageAttributeValue> | undefined,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      ...(attributes && Object.keys(attributes).length > 0 && { MessageAttributes: attributes }),
    }),
  );
}

/**
 * Scans a queue once and handles each message with `act` (which decides whether it was taken),
 * releasing everything it does not take. Stops when a receive brings only messages already seen,
 * or after `limit` taken.
 */
async function scan(
  sqs: SQSClient,
  url: string,
  options: {
    filter?: MessageFilter;
    limit?: number;
    rate?: number;
    watchedBuckets?: readonly string[];
    onProgress?: (p: MoveProgress) => void;
  },
  act: (message: Message, summary: MessageSummary) => Promise<boolean>,
): Promise<MoveProgress> {
  const seen = new Set<string>();
  const progress = { scanned: 0, moved: 0, skipped: 0, unwatched: 0 };
  const started = Date.now();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let rounds = 0;
  while (progress.moved < limit) {
    const batch = await receive(sqs, url, 10, 30);
    const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ''));
    const stale = batch.filter((m) => seen.has(m.MessageId ?? ''));
    await release(sqs, url, stale);
    if (fresh.length === 0) {
      // SQS samples servers: a receive may miss messages, so give up only after a few empty rounds.
      rounds += 1;
      if (rounds >= 3 || batch.length === 0) break;
      continue;
    }
    rounds = 0;
    for (const [index, message] of fresh.entries()) {
      if (progress.moved >= limit) {
        await release(sqs, url, fresh.slice(index));
        break;
      }
      seen.add(message.MessageId ?? '');
      progress.scanned += 1;
      const summary = summarizeMessage(message);
      if (options.filter && !options.filter(summary)) {
        await release(sqs, url, [message]);
        progress.skipped += 1;
      } else if (options.watchedBuckets && onlyUnwatchedBuckets(summary, options.watchedBuckets)) {
        await release(sqs, url, [message]);
        progress.unwatched += 1;
      } else if (await act(message, summary)) {
        progress.moved += 1;
        await keepRate(started, progress.moved, options.rate);
      }
      options.onProgress?.({ ...progress });
    }
  }
  return progress;
}

/**
 * Moves messages from one queue to another by hand: receive, send to the destination, then
 * delete from the source. A crash between send and delete can only duplicate a message, which
 * the worker absorbs; it can never lose one.
 */
export function moveMessages(sqs: SQSClient, options: MoveOptions): Promise<MoveProgress> {
  return scan(sqs, options.from, options, async (message) => {
    if (options.dryRun) {
      await release(sqs, options.from, [message]);
      return true;
    }
    await sendCopy(sqs, options.to, message.Body ?? '', message.MessageAttributes);
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: options.from, ReceiptHandle: message.ReceiptHandle }),
    );
    return true;
  });
}

/**
 * Deletes the messages that match `filter`, after appending each one to `file` (NDJSON,
 * flushed to disk, readable by its owner only: it holds bodies, principals and IPs) so that
 * nothing discarded is gone for good.
 */
export async function discardMessages(
  sqs: SQSClient,
  options: { url: string; filter: MessageFilter; file: string; onProgress?: (p: MoveProgress) => void },
): Promise<MoveProgress> {
  const handle = await openPrivateAppend(options.file);
  try {
    return await scan(sqs, options.url, options, async (message, summary) => {
      const line = {
        discardedAt: new Date().toISOString(),
        messageId: summary.messageId,
        receiveCount: summary.receiveCount,
        firstSentAt: summary.firstSentAt,
        problem: summary.problem,
        body: summary.body,
        messageAttributes: message.MessageAttributes ?? {},
      };
      await handle.appendFile(`${JSON.stringify(line)}\n`);
      await handle.sync();
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: options.url, ReceiptHandle: message.ReceiptHandle }),
      );
      return true;
    });
  } finally {
    await handle.close();
  }
}

/** A message move task as SQS reports it. */
export interface MoveTask {
  readonly taskHandle?: string;
  readonly status?: string;
  readonly moved: number;
  readonly toMove?: number;
  readonly failureReason?: string;
}

/** Starts SQS's own DLQ redrive (StartMessageMoveTask) back to the source queue. */
export async function startMoveTask(
  sqs: SQSClient,
  options: { sourceArn: string; destinationArn: string; rate?: number },
): Promise<string> {
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: options.sourceArn,
      DestinationArn: options.destinationArn,
      ...(options.rate && { MaxNumberOfMessagesPerSecond: options.rate }),
    }),
  );
  return TaskHandle ?? '';
}

/** The most recent move tasks of a DLQ. */
export async function listMoveTasks(sqs: SQSClient, sourceArn: string): Promise<MoveTask[]> {
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
  );
  return Results.map((r) => ({
    ...(r.TaskHandle && { taskHandle: r.TaskHandle }),
    ...(r.Status && { status: r.Status }),
    moved: r.ApproximateNumberOfMessagesMoved ?? 0,
    ...(r.ApproximateNumberOfMessagesToMove !== undefined && { toMove: r.ApproximateNumberOfMessagesToMove }),
    ...(r.FailureReason && { failureReason: r.FailureReason }),
  }));
}

/** Cancels a running move task. */
export async function cancelMoveTask(sqs: SQSClient, taskHandle: string): Promise<number> {
  const { ApproximateNumberOfMessagesMoved = 0 } = await sqs.send(
    new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }),
  );
  return ApproximateNumberOfMessagesMoved;
}

/** One line of a discard file, as {@link discardMessages} writes it. */
interface DiscardedLine {
  readonly messageId?: string;
  readonly receiveCount?: number;
  readonly body?: string;
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
}

/**
 * Sends messages that `discard` saved back to a queue (after the fault that made them poison was
 * fixed), those that match `filter`; `dryRun` counts them only. A line that is not a saved
 * message stops the replay before anything is sent, naming the line.
 */
export async function replayDiscarded(
  sqs: SQSClient,
  options: {
    readonly file: string;
    readonly to: string;
    readonly filter?: MessageFilter;
    readonly dryRun?: boolean;
    readonly rate?: number;
    /** As for {@link MoveOptions.watchedBuckets}: saved messages only for other buckets are not sent. */
    readonly watchedBuckets?: readonly string[];
    readonly onProgress?: (progress: MoveProgress) => void;
  },
): Promise<MoveProgress> {
  const lines = (await readFile(options.file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  const saved = lines.map((line, index) => {
    try {
      const parsed = JSON.parse(line) as DiscardedLine;
      if (typeof parsed.body !== 'string') throw new Error('no body');
      return parsed;
    } catch {
      throw new ToolError(`${options.file} line ${index + 1} is not a message saved by discard`);
    }
  });
  const progress = { scanned: 0, moved: 0, skipped: 0, unwatched: 0 };
  const started = Date.now();
  for (const line of saved) {
    progress.scanned += 1;
    const summary = summarizeMessage({
      Body: line.body,
      MessageId: line.messageId ?? '',
      Attributes: { ApproximateReceiveCount: String(line.receiveCount ?? 0) },
    });
    if (options.filter && !options.filter(summary)) {
      progress.skipped += 1;
    } else if (options.watchedBuckets && onlyUnwatchedBuckets(summary, options.watchedBuckets)) {
      progress.unwatched += 1;
    } else {
      if (!options.dryRun) await sendCopy(sqs, options.to, line.body ?? '', line.messageAttributes);
      progress.moved += 1;
      await keepRate(started, progress.moved, options.rate);
    }
    options.onProgress?.({ ...progress });
  }
  return progress;
}
