/**
 * The client side of `bench:backfill`, run in a process of its own as `s3-ingest backfill` is (the
 * local stack's S3, SQS and DynamoDB keep their event loop to themselves, as AWS's run on machines
 * of their own). argv[2] is a JSON {@link ClientJob}; one JSON line of results goes to stdout.
 *
 * - `raw`: `objects / 10` SendMessageBatch calls of 10 notification-sized bodies to a scratch queue.
 * - `backfill`: the backfill tool over the bucket, into the ingest queue.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { AwsCallCounter, difference } from '../loadtest/aws-call-counter.js';
import { forEachLimited } from '../src/concurrency.js';
import { localClients, type StackDescription } from '../src/local/stack.js';
import { backfill } from '../src/tools/backfill.js';

export interface ClientJob {
  readonly mode: 'raw' | 'backfill';
  readonly stack: Pick<StackDescription, 'region' | 'endpoints'>;
  readonly queueUrl: string;
  readonly bucket: string;
  readonly objects: number;
  readonly concurrency: number;
  /** `raw`: the body each message carries (as long as a backfill's notification). */
  readonly body?: string;
}

export interface ClientResult {
  readonly sent: number;
  readonly seconds: number;
  readonly calls: Record<string, number>;
  readonly partitions?: number;
  /** CPU seconds this process used (user + system): near `seconds` means the client was the limit. */
  readonly cpuSeconds: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob;
const clients = localClients(job.stack);
const counter = new AwsCallCounter();
counter.attach(clients.s3, 'S3');
counter.attach(clients.sqs, 'SQS');
const before = counter.snapshot();
const started = performance.now();
const cpuBefore = process.cpuUsage();
let sent = 0;
let partitions: number | undefined;
if (job.mode === 'raw') {
  const chunks = Array.from({ length: Math.ceil(job.objects / 10) }, (_, i) => i);
  await forEachLimited(chunks, job.concurrency, async () => {
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: job.queueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: job.body ?? '' })),
      }),
    );
    sent += 10;
  });
} else {
  const result = await backfill({
    s3: clients.s3,
    sqs: clients.sqs,
    bucket: job.bucket,
    queueUrl: job.queueUrl,
    region: job.stack.region,
    concurrency: job.concurrency,
  });
  sent = result.enqueued;
  partitions = result.partitions;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
for (const client of Object.values(clients)) client.destroy();
const answer: ClientResult = {
  sent,
  seconds,
  calls: difference(counter.snapshot(), before),
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  ...(partitions !== undefined && { partitions }),
};
process.stdout.write(`${JSON.stringify(answer)}\n`);
