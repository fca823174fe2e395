/**
 * The client side of `bench:backfill`, run in a process of its own as `s3-ingest backfill` is (the
 * local stack's S3, SQS and DynamoDB keep their event loop to themselves, as AWS's run on machines
 * of their own). argv[2] is a JSON {@link ClientJob}; one JSON line of results goes to stdout.
 *
 * - `raw`: `objects / 10` SendMessageBatch calls of 10 to a scratch queue, carrying the notifications
 *   a backfill of the bench's objects sends (each its own text), built before the clock starts.
 * - `backfill`: the backfill tool over the bucket, into the ingest queue, listing in a worker thread as
 *   `s3-ingest backfill` does (that thread makes ListObjectsV2 and ListObjectVersions calls only).
 */
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { AwsCallCounter, difference } from '../loadtest/aws-call-counter.js';
import { forEachLimited } from '../src/concurrency.js';
import { localClients, type StackDescription } from '../src/local/stack.js';
import { backfill } from '../src/tools/backfill.js';
import { backfillBodies } from '../src/tools/backfill-notification.js';
import { benchKey } from './backfill-keys.js';

export interface ClientJob {
  readonly mode: 'raw' | 'backfill';
  readonly stack: Pick<StackDescription, 'region' | 'endpoints'>;
  readonly queueUrl: string;
  readonly bucket: string;
  readonly objects: number;
  readonly concurrency: number;
}

export interface ClientResult {
  readonly sent: number;
  readonly seconds: number;
  /** Calls made by this process's main thread, by `Service.Operation`. */
  readonly calls: Record<string, number>;
  readonly partitions?: number;
  /** `backfill`: its listing calls, wherever they were made (a listing thread's too). */
  readonly listCalls?: number;
  /** CPU seconds this process used (user + system), all its threads. */
  readonly cpuSeconds: number;
  /** The share of the time the main thread's event loop was busy: near 1, it was the limit. */
  readonly elu: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob;
const clients = localClients(job.stack);
const counter = new AwsCallCounter();
counter.attach(clients.s3, 'S3');
counter.attach(clients.sqs, 'SQS');
// `raw`: the notifications of the bench's objects (their eTag is the MD5 of the key, their body).
const notification = backfillBodies(job.bucket, job.stack.region);
const bodies =
  job.mode === 'raw'
    ? Array.from({ length: job.objects }, (_, i) => benchKey(i)).map((key) =>
        notification({
          key,
          eTag: createHash('md5').update(key).digest('hex'),
          size: Buffer.byteLength(key),
          lastModified: new Date(),
        }),
      )
    : [];
const before = counter.snapshot();
const started = performance.now();
const cpuBefore = process.cpuUsage();
const eluBefore = performance.eventLoopUtilization();
let sent = 0;
let partitions: number | undefined;
let listCalls: number | undefined;
if (job.mode === 'raw') {
  const chunks = Array.from({ length: Math.ceil(job.objects / 10) }, (_, i) => i);
  await forEachLimited(chunks, job.concurrency, async (chunk) => {
    const entries = bodies.slice(chunk * 10, chunk * 10 + 10);
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: job.queueUrl,
        Entries: entries.map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    sent += entries.length;
  });
} else {
  const result = await backfill({
    s3: clients.s3,
    sqs: clients.sqs,
    bucket: job.bucket,
    queueUrl: job.queueUrl,
    region: job.stack.region,
    concurrency: job.concurrency,
    listingThread: true,
  });
  sent = result.enqueued;
  partitions = result.partitions;
  listCalls = result.listCalls;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
for (const client of Object.values(clients)) client.destroy();
const answer: ClientResult = {
  sent,
  seconds,
  calls: difference(counter.snapshot(), before),
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  elu: performance.eventLoopUtilization(eluBefore).utilization,
  ...(partitions !== undefined && { partitions }),
  ...(listCalls !== undefined && { listCalls }),
};
process.stdout.write(`${JSON.stringify(answer)}\n`);
