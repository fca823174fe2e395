import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { objectPk } from '../../src/core/log-items.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { queueDepth as sqsQueueDepth } from '../../src/tools/dlq-operations.js';

type Item = Record<string, unknown>;

/** Reads an object's rows from the upload log of a local stack. */
export function uploadLogReader(stack: LocalStack) {
  const documents = DynamoDBDocumentClient.from(stack.clients.dynamodb);
  const rowsOf = async (key: string, bucket = stack.names.uploadsBucket): Promise<Item[]> => {
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: stack.names.uploadLogTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': objectPk(bucket, key) },
        ConsistentRead: true,
      }),
    );
    return Items;
  };
  return {
    rowsOf,
    uploadsOf: async (key: string) => (await rowsOf(key)).filter((row) => row.sk !== 'STATE'),
    stateOf: async (key: string) => (await rowsOf(key)).find((row) => row.sk === 'STATE'),
  };
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight } = await sqsQueueDepth(sqs, queueUrl);
  return visible + inFlight;
}

/** Receives (and leaves invisible for the queue's timeout) up to 10 messages, waiting at most 1 s. */
export async function receiveBodies(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return Messages.map((message) => message.Body ?? '');
}

/** Waits until a local stack's worker has nothing left: no notification on its way, ingest queue empty. */
export async function drained(stack: LocalStack, timeoutMs = 20_000): Promise<void> {
  await stack.bridge.drain();
  await waitFor(
    'the ingest queue to drain',
    async () => (await queueDepth(stack.clients.sqs, stack.queues.ingest.url)) === 0,
    { timeoutMs },
  );
}

/** Shows an execution environment's warnings and errors (the template's INFO lines would drown the output). */
function warningsAndErrors(line: string, stream: 'stdout' | 'stderr'): void {
  if (stream === 'stderr' || !/"level":"(INFO|DEBUG|TRACE)"/.test(line)) process.stderr.write(`${line}\n`);
}

/** The visibility (and function) timeout of test stacks. */
export const TEST_VISIBILITY_TIMEOUT_SECONDS = 3;

/**
 * A local stack for a test: free ports (so tests run beside `npm start` and each other), a 3 s
 * visibility timeout (so retries show quickly; it shortens the function timeout to match, which
 * still lets a batch finish on a busy 2-core machine) and no batching window (which must stay
 * within the visibility timeout), with `options` on top. Every other setting is the synthesized
 * template's, and the worker runs as the bundle.
 */
export function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    s3Port: 0,
    dynamodbPort: 0,
    visibilityTimeoutSeconds: TEST_VISIBILITY_TIMEOUT_SECONDS,
    workerOutput: warningsAndErrors,
    // The upload events run where a test asks for them (they cost every write a stream record).
    uploadEvents: false,
    ...options,
    // Tests also record objects of uploads-private, which the local S3 bridge does not announce, so
    // that only a test's own messages (a backfill, a redrive, a hand-made notification) name them.
    workerEnv: { WATCHED_BUCKETS: 'uploads,uploads-private', ...options.workerEnv },
    worker: options.worker === false ? false : { batchingWindowMs: 0, ...options.worker },
  });
}
