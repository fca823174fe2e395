import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalConsole } from '../../src/console/local-console.js';
import type { UploadEvent } from '../../src/core/upload-events.js';
import { DYNAMODB_BACKENDS, javaAvailable } from '../../src/local/dynamodb-server.js';
import { type LocalStack, localCredentials, writeStackFile } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { drained, startTestStack } from '../support/pipeline.js';
import { schemaErrors } from '../support/upload-event-schema.js';

// The upload events end to end on the local stack: the real bundle writes the log on each local
// DynamoDB (dynalite, with the streams kept in front of it, and AWS's DynamoDB Local with its own),
// whose stream the local event source reads as the template configures it; the publisher
// publishes to the embedded SNS, which delivers to subscribed queues with their filter policies.

let stack: LocalStack;
let everything = '';
let rejectedOnly = '';

/** A queue subscribed to the topic with raw delivery (and a filter policy when given). */
async function subscribedQueue(name: string, filterPolicy?: object): Promise<string> {
  const { QueueUrl = '' } = await stack.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const sns = new SNSClient({
    region: stack.description.region,
    credentials: localCredentials(),
    endpoint: stack.description.endpoints.sqs,
  });
  await sns.send(
    new SubscribeCommand({
      TopicArn: stack.description.topics?.uploadEvents,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: {
        RawMessageDelivery: 'true',
        ...(filterPolicy && { FilterPolicy: JSON.stringify(filterPolicy) }),
      },
    }),
  );
  sns.destroy();
  return QueueUrl;
}

/** Every event that reached a queue so far (removed from it). */
const received = new Map<string, UploadEvent[]>();
async function drain(queueUrl: string): Promise<UploadEvent[]> {
  const seen = received.get(queueUrl) ?? [];
  for (;;) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      seen.push(JSON.parse(message.Body ?? '{}') as UploadEvent);
      await stack.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
  received.set(queueUrl, seen);
  return seen;
}
const eventsAbout = async (queueUrl: string, key: string) =>
  (await drain(queueUrl)).filter((event) => event.key === key);

const put = (key: string, body: string) =>
  stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.names.uploadsBucket, Key: key, Body: body }));

const backends = DYNAMODB_BACKENDS.filter((backend) => backend === 'dynalite' || javaAvailable());

describe.each(backends)('upload events on the local stack (%s)', (backend) => {
  beforeAll(async () => {
    received.clear();
    stack = await startTestStack({ dynamodb: backend, uploadEvents: true });
    everything = await subscribedQueue('events-all');
    rejectedOnly = await subscribedQueue('events-rejected', { status: ['REJECTED'] });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('names the topic in the stack file', () => {
    expect(stack.description.topics?.uploadEvents).toMatch(/^arn:aws:sns:.*:upload-events$/);
  });

  it('announces each change once, valid against the schema, and nothing for a duplicate', async () => {
    await put('events/a b.txt', 'first');
    await put('events/a b.txt', 'first'); // the same content again: a duplicate, no new row
    await put('events/setup.exe', 'MZ');
    await drained(stack);
    await stack.clients.s3.send(
      new DeleteObjectCommand({ Bucket: stack.names.uploadsBucket, Key: 'events/a b.txt' }),
    );
    await drained(stack);
    await waitFor('the events to reach the subscriber', async () => (await drain(everything)).length >= 3, {
      timeoutMs: 20_000,
    });
    const events = await drain(everything);
    for (const event of events) expect({ event, errors: schemaErrors(event) }).toMatchObject({ errors: [] });
    const kinds = events.map((event) => `${event.type} ${event.key} ${event.status}`);
    expect(kinds.sort()).toEqual(
      [
        'object.removed events/a b.txt DELETED',
        'upload.recorded events/a b.txt STORED',
        'upload.recorded events/setup.exe REJECTED',
      ].sort(),
    );
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  });

  it('delivers only what a filter policy asks for', async () => {
    await waitFor(
      'the rejection to reach the filtered subscriber',
      async () => (await drain(rejectedOnly)).length >= 1,
      {
        timeoutMs: 20_000,
      },
    );
    expect((await drain(rejectedOnly)).map((event) => event.status)).toEqual(['REJECTED']);
  });

  it('resumes where a stopped event source left off: no gap, a repeat has the same id', async () => {
    await put('events/before-stop.txt', 'b');
    await drained(stack);
    await waitFor(
      'the event before the stop',
      async () => (await eventsAbout(everything, 'events/before-stop.txt')).length >= 1,
      {
        timeoutMs: 20_000,
      },
    );
    await stack.uploadEvents?.poller.stop();
    await put('events/while-stopped.txt', 'w');
    await drained(stack);
    await stack.uploadEvents?.restart();
    await waitFor(
      'the event written while stopped',
      async () => (await eventsAbout(everything, 'events/while-stopped.txt')).length >= 1,
      {
        timeoutMs: 20_000,
      },
    );
    const byKey = await eventsAbout(everything, 'events/while-stopped.txt');
    expect(new Set(byKey.map((event) => event.id)).size).toBe(1);
    const before = await eventsAbout(everything, 'events/before-stop.txt');
    expect(new Set(before.map((event) => event.id)).size).toBe(1);
  });

  it('s3-ingest events tail prints the events its filter asks for, and removes its queue on Ctrl-C', async () => {
    const stackFile = join(mkdtempSync(join(tmpdir(), 's3-ingest-tail-')), 'stack.json');
    await writeStackFile(stackFile, stack.description);
    const tail = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '../../bin/s3-ingest.js'),
        'events',
        'tail',
        '--stack-file',
        stackFile,
        '--filter',
        'status=REJECTED',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    tail.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => tail.once('exit', (code) => resolve(code)));
    await waitFor('the tail to subscribe', () => stderr.includes('listening to'), { timeoutMs: 30_000 });
    await put('events/tail ok.txt', 'fine');
    await put('events/tail\u001b[31mred.exe', 'MZ');
    await drained(stack);
    await waitFor('the rejection on stdout', () => stdout.includes('REJECTED'), { timeoutMs: 20_000 });
    tail.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as UploadEvent);
    expect(lines.map((event) => [event.key, event.status])).toEqual([
      ['events/tail\u001b[31mred.exe', 'REJECTED'],
    ]);
    const { QueueUrls = [] } = await stack.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 's3-ingest-tail-' }),
    );
    expect(QueueUrls).toEqual([]);
  }, 90_000);

  it('the console shows the events as they come, and removes its subscription when it closes', async () => {
    const running = await startLocalConsole(stack, 0);
    try {
      await put('events/console.txt', 'c');
      await drained(stack);
      const feed = async () =>
        (await (
          await fetch(`${running.url}api/events`, { headers: { 'x-console-token': running.token } })
        ).json()) as { available: boolean; events: UploadEvent[] };
      await waitFor(
        'the event on the console',
        async () => (await feed()).events.some((event) => event.key === 'events/console.txt'),
        {
          timeoutMs: 20_000,
        },
      );
      expect((await feed()).available).toBe(true);
    } finally {
      await running.close();
    }
    const { QueueUrls = [] } = await stack.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 's3-ingest-tail-' }),
    );
    expect(QueueUrls).toEqual([]);
  }, 60_000);
});
