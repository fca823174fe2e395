import { parseArgs } from 'node:util';
import { backfill } from './backfill.js';
import {
  progressReporter,
  runTool,
  TARGET_ARG_OPTIONS,
  TARGET_HELP,
  targetOptionsOf,
} from './cli-support.js';
import { resolveTarget } from './target.js';
import { ToolError } from './tool-error.js';

const HELP = `Usage: npm run backfill -- --bucket NAME [--prefix P] [options]

Re-enqueues S3-shaped ObjectCreated notifications for objects that already exist (list, then head),
for recovery after a lost table or a notification misconfiguration. The worker's idempotency makes
a second run harmless: it adds no row. Backfilled events carry the lowest sequencer, so they fill in
missing state rows but never override a state a real S3 event wrote.

  --bucket NAME    the bucket to backfill (default: the stack's ingest bucket)
  --prefix P       only keys starting with P

${TARGET_HELP}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ...TARGET_ARG_OPTIONS, bucket: { type: 'string' }, prefix: { type: 'string' } },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const { target, clients } = await resolveTarget(targetOptionsOf(values));
  const bucket = values.bucket ?? target.ingestBucket;
  if (!bucket) throw new ToolError('--bucket is required');
  const progress = progressReporter('backfill');
  const result = await backfill({
    s3: clients.s3,
    sqs: clients.sqs,
    bucket,
    ...(values.prefix && { prefix: values.prefix }),
    queueUrl: target.ingestQueueUrl,
    region: target.region,
    onProgress: (p) => progress.update(`listed ${p.listed}, enqueued ${p.enqueued}`),
  });
  progress.done();
  if (values.json) console.log(JSON.stringify({ bucket, prefix: values.prefix ?? '', ...result }));
  else
    console.log(
      `Backfill of s3://${bucket}/${values.prefix ?? ''}: ${result.listed} objects listed, ${result.enqueued} notifications ` +
        `enqueued${result.vanished ? `, ${result.vanished} vanished before HeadObject` : ''}. The worker records the new ones; ` +
        'objects already in the log count as duplicates.',
    );
}

runTool(main);
