import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallCounter } from '../../loadtest/aws-call-counter.js';
import { EventSourcePoller } from '../../src/local/event-source-poller.js';
import { createQueues, DEFAULT_RESOURCE_NAMES, type QueueRef } from '../../src/local/resources.js';
import { type LocalStack, localClients, startLocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { queueDepth } from '../../src/tools/dlq-operations.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false });
});
afterAll(async () => {
  await stack?.stop();
});

/** An SQS client of its own, its calls counted. */
function countedSqs(): { sqs: SQSClient; receives: () => number } {
  const { sqs } = localClients(stack.description);
  const calls = new AwsCallCounter();
  calls.attach(sqs);
  return { sqs, receives: () => calls.snapshot()['SQS.ReceiveMessage'] ?? 0 };
}

const bound = { timeoutMs: 20_000, intervalMs: 20 };

/**
 * A queue of the test's own. (A stopped poller's aborted long poll can still take a message on
 * the local SQS, which then stays invisible for a visibility timeout: tests do not share queues.)
 */
async function freshQueue(name: string): Promise<QueueRef> {
  const { ingest } = await createQueues(
    stack.clients.sqs,
    { ...DEFAULT_RESOURCE_NAMES, ingestQueue: name, dlq: `${name}-dlq` },
    { visibilityTimeoutSeconds: 5, maxReceiveCount: 3 },
  );
  return ingest;
}

describe('local event source poller (against the local SQS)', () => {
  it('runs at most `concurrency` invocations at once, and deletes what they handled', async () => {
    // Prepare
    const { sqs } = countedSqs();
    const queue = await freshQueue('poller-concurrency');
    let running = 0;
    let mostAtOnce = 0;
    let handled = 0;
    let open = false;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await waitFor('the test to let invocations finish', () => open, bound);
      handled += event.Records.length;
      running -= 1;
      return { batchItemFailures: [] };
    };
    const poller = new EventSourcePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler,
      batchSize: 2,
      concurrency: 3,
    });
    for (let i = 0; i < 4; i += 1) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: Array.from({ length: 10 }, (_, n) => ({ Id: String(n), MessageBody: `m${i}-${n}` })),
        }),
      );
    }
    // Act
    poller.start();
    await waitFor('three invocations to run at once', () => running === 3, bound);
    open = true;
    await waitFor('all 40 messages to be handled', () => handled === 40, bound);
    await poller.stop();
    // Assess
    expect(mostAtOnce).toBe(3);
    expect(poller.stats).toMatchObject({ recordsReceived: 40, recordsDeleted: 40, recordsFailed: 0 });
    expect(await queueDepth(sqs, queue.url)).toEqual({ visible: 0, inFlight: 0 });
    sqs.destroy();
  });

  it('makes about one receive per message when messages arrive one by one, however many slots are idle', async () => {
    // Prepare
    const { sqs, receives } = countedSqs();
    const queue = await freshQueue('poller-trickle');
    let handled = 0;
    const poller = new EventSourcePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: async (event) => {
        handled += event.Records.length;
        return { batchItemFailures: [] };
      },
      batchSize: 10,
      concurrency: 8,
    });
    poller.start();
    const before = receives();
    // Act
    const messages = 10;
    for (let i = 1; i <= messages; i += 1) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: `one-${i}` }));
      await waitFor(`message ${i} to be handled`, () => handled === i, bound);
    }
    const made = receives() - before;
    await poller.stop();
    // Assess: one loop per slot would make one receive per idle slot for each message (about 80).
    expect(handled).toBe(messages);
    expect(made).toBeLessThan(2 * messages);
    sqs.destroy();
  });

  it('warns when a batch is acknowledged after its visibility timeout, as its messages were handled twice', async () => {
    // Prepare: a 1 s visibility timeout and a first invocation that takes 2.5 s.
    const { sqs } = countedSqs();
    const { ingest: queue } = await createQueues(
      stack.clients.sqs,
      { ...DEFAULT_RESOURCE_NAMES, ingestQueue: 'poller-visibility', dlq: 'poller-visibility-dlq' },
      { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 },
    );
    const handledBodies: string[] = [];
    let invocations = 0;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      invocations += 1;
      if (invocations === 1) await new Promise((resolve) => setTimeout(resolve, 2_500));
      handledBodies.push(...event.Records.map((record) => record.body));
      return { batchItemFailures: [] };
    };
    const poller = new EventSourcePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler,
      concurrency: 2,
      visibilityTimeoutMs: 1_000,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    // Act
    poller.start();
    await waitFor('the slow batch to be acknowledged', () => poller.stats.batchesPastVisibility === 1, bound);
    await poller.stop();
    // Assess: the message came back while the first invocation still held it, and was handled twice.
    expect(handledBodies).toEqual(['slow', 'slow']);
    expect(poller.stats.batchesPastVisibility).toBe(1);
  });
});
