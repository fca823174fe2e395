import { Command } from 'commander';
import { backfill } from '../tools/backfill.js';
import { progressReporter } from '../tools/progress.js';
import { resolveTarget, type ToolTarget } from '../tools/target.js';
import { ToolError, UsageError } from '../tools/tool-error.js';
import { printJson, type TargetFlags, targetOptionsOf, withTargetOptions } from './support.js';

/**
 * Refuses buckets whose backfill would be a mistake: the copy destination (its objects are copies;
 * backfilling it copies it into itself) and any bucket the stack does not watch.
 *
 * @throws {UsageError} saying why, and that `--force` overrides it
 */
export function checkBackfillBucket(target: ToolTarget, bucket: string, force: boolean): void {
  if (force) return;
  if (bucket === target.copyDestinationBucket) {
    throw new UsageError(
      `${bucket} is the copy destination: its objects are copies of watched buckets' objects, and backfilling it would copy it into itself (add --force if you really mean it)`,
    );
  }
  if (!target.watchedBuckets.includes(bucket)) {
    throw new UsageError(
      `${target.label} does not watch ${bucket} (it watches ${target.watchedBuckets.join(', ')}); add --force to record it anyway`,
    );
  }
}

/** `s3-ingest backfill`: notifications for objects that already exist. */
export function backfillCommand(): Command {
  return withTargetOptions(new Command('backfill'))
    .summary('enqueue notifications for objects that already exist')
    .description(
      're-enqueues ObjectCreated notifications for objects that already exist (after a lost table or a ' +
        'notification misconfiguration); a second run adds no row',
    )
    .option('--bucket <name>', "the bucket to backfill (default: the stack's ingest bucket)")
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--force', 'also a bucket the stack does not watch, or the copy destination')
    .option('--json', 'print JSON')
    .action(
      async (flags: TargetFlags & { bucket?: string; prefix?: string; force?: boolean; json?: boolean }) => {
        const { target, clients } = await resolveTarget(targetOptionsOf(flags));
        const bucket = flags.bucket ?? target.ingestBucket;
        checkBackfillBucket(target, bucket, flags.force ?? false);
        const progress = progressReporter('backfill');
        let result: Awaited<ReturnType<typeof backfill>>;
        try {
          result = await backfill({
            s3: clients.s3,
            sqs: clients.sqs,
            bucket,
            ...(flags.prefix && { prefix: flags.prefix }),
            queueUrl: target.ingestQueueUrl,
            region: target.region,
            onProgress: (p) => progress.update(`listed ${p.listed}, enqueued ${p.enqueued}`),
          });
        } catch (error) {
          if ((error as Error).name === 'NoSuchBucket')
            throw new ToolError(`bucket ${bucket} does not exist`);
          throw error;
        }
        progress.done();
        if (flags.json) return printJson({ bucket, prefix: flags.prefix ?? '', ...result });
        console.log(
          `Backfill of s3://${bucket}/${flags.prefix ?? ''}: ${result.listed} objects listed, ${result.enqueued} notifications ` +
            `enqueued${result.vanished ? `, ${result.vanished} vanished before HeadObject` : ''}. The worker records the new ones; ` +
            'objects already in the log count as duplicates.',
        );
      },
    );
}
