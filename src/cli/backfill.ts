import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { Command } from 'commander';
import { BATCH_REPORT_PREFIX } from '../../infra/output-names.js';
import { backfill } from '../tools/backfill.js';
import { describeBackfillProgress, shareDone } from '../tools/backfill-progress.js';
import { accountOf, createBackfillJob } from '../tools/batch-job.js';
import { stateDirectory } from '../tools/private-files.js';
import { progressReporter } from '../tools/progress.js';
import { resolveTarget, type ToolTarget } from '../tools/target.js';
import { ToolError, UsageError } from '../tools/tool-error.js';
import {
  positiveInteger,
  positiveNumber,
  printJson,
  type TargetFlags,
  targetOptionsOf,
  withTargetOptions,
} from './support.js';

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

/** The default checkpoint of a backfill: one file per bucket and prefix, in the state directory. */
export function defaultCheckpointPath(bucket: string, prefix: string): string {
  const safe = `${bucket}-${prefix}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(stateDirectory(), `backfill-${safe}.json`);
}

interface BackfillFlags extends TargetFlags {
  readonly bucket?: string;
  readonly prefix?: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly concurrency: number;
  readonly rate?: number;
  readonly dryRun?: boolean;
  readonly checkpoint?: string;
  readonly resume?: boolean;
  readonly inventory?: string;
  readonly batchOperations?: boolean;
}

/** Creates the Batch Operations job over an inventory report, and says how to follow it. */
async function startBatchJob(
  target: ToolTarget,
  s3: S3Client,
  manifestUri: string,
  json: boolean,
): Promise<void> {
  const batch = target.batchOperations;
  if (target.kind !== 'aws' || !batch) {
    throw new UsageError(
      `${target.label} has no backfill function: deploy with -c backfillFunction=true -c inventoryBucket=NAME, and use --stack-name`,
    );
  }
  const s3control = new S3ControlClient({ region: target.region });
  try {
    const jobId = await createBackfillJob(s3, s3control, {
      manifestUri,
      functionArn: batch.functionArn,
      roleArn: batch.roleArn,
      reportBucket: batch.inventoryBucket,
      reportPrefix: BATCH_REPORT_PREFIX,
    });
    const account = accountOf(batch.roleArn);
    if (json) return printJson({ jobId, account, region: target.region, manifest: manifestUri });
    console.log(
      `Batch Operations job ${jobId} created over ${manifestUri}.\n` +
        `Follow it: aws s3control describe-job --account-id ${account} --job-id ${jobId} --region ${target.region}\n` +
        `Failed tasks are reported under s3://${batch.inventoryBucket}/${BATCH_REPORT_PREFIX}/; the worker records the objects as they arrive.`,
    );
  } finally {
    s3control.destroy();
  }
}

/** `s3-ingest backfill`: notifications for objects that already exist. */
export function backfillCommand(): Command {
  return withTargetOptions(new Command('backfill'))
    .summary('enqueue notifications for objects that already exist')
    .description(
      'Re-enqueues ObjectCreated notifications for objects that already exist (after a lost table or a ' +
        'notification misconfiguration, or to adopt a bucket that already holds objects), built from the ' +
        'listing alone (no HeadObject: the worker heads every object). The key space is split by its "/" ' +
        'prefixes and listed in parallel, in a worker thread so parsing the pages does not slow the sending; ' +
        'notifications go out 10 per SendMessageBatch. A second run adds no row.',
    )
    .option('--bucket <name>', "the bucket to backfill (default: the stack's ingest bucket)")
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--concurrency <n>', 'partitions listed, and send calls in flight, at once', positiveInteger, 8)
    .option('--rate <n>', 'most notifications per second (see README: choosing a rate)', positiveNumber)
    .option(
      '--inventory <s3uri>',
      "read an S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV) instead of listing: AWS's way for large buckets",
    )
    .option(
      '--batch-operations',
      "with --inventory on a deployed stack: create an S3 Batch Operations job that runs the stack's backfill function over the report",
    )
    .option('--dry-run', 'list and count, send nothing')
    .option(
      '--checkpoint <file>',
      'progress file, written 0600 (default $LOCAL_STATE_DIR or .local, backfill-<bucket>-<prefix>.json)',
    )
    .option('--resume', 'continue from the checkpoint after a crash or Ctrl-C')
    .option('--force', 'also a bucket the stack does not watch, or the copy destination')
    .option('--json', 'print JSON')
    .action(async (flags: BackfillFlags) => {
      if (flags.batchOperations && !flags.inventory) {
        throw new UsageError(
          '--batch-operations runs over an S3 Inventory report: add --inventory s3://BUCKET/PATH/manifest.json',
        );
      }
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      if (flags.batchOperations && flags.inventory)
        return startBatchJob(target, clients.s3, flags.inventory, flags.json ?? false);
      const bucket = flags.bucket ?? target.ingestBucket;
      checkBackfillBucket(target, bucket, flags.force ?? false);
      if (flags.inventory && flags.prefix) {
        throw new UsageError(
          '--prefix lists part of a bucket; with --inventory the report says what to backfill',
        );
      }
      const prefix = flags.prefix ?? '';
      const checkpointPath = flags.checkpoint ?? defaultCheckpointPath(bucket, flags.inventory ?? prefix);
      const progress = progressReporter(flags.dryRun ? 'backfill (dry run)' : 'backfill');
      const started = Date.now();
      // Where a resumed inventory backfill picked up: what was done before is not this run's speed.
      let startShare: number | undefined;
      const stop = new AbortController();
      const onSignal = () =>
        stop.abort(new ToolError(`stopped; continue with --resume (checkpoint ${checkpointPath})`));
      process.once('SIGINT', onSignal);
      let result: Awaited<ReturnType<typeof backfill>>;
      try {
        result = await backfill({
          s3: clients.s3,
          sqs: clients.sqs,
          bucket,
          ...(prefix && { prefix }),
          queueUrl: target.ingestQueueUrl,
          region: target.region,
          concurrency: flags.concurrency,
          ...(flags.rate && { rate: flags.rate }),
          dryRun: flags.dryRun ?? false,
          checkpoint: { path: checkpointPath, resume: flags.resume ?? false },
          ...(flags.inventory && { inventory: flags.inventory }),
          listingThread: true,
          signal: stop.signal,
          onProgress: (p) => {
            startShare ??= shareDone(p);
            progress.update(describeBackfillProgress(p, (Date.now() - started) / 1000, startShare));
          },
        });
      } catch (error) {
        if ((error as Error).name === 'NoSuchBucket') throw new ToolError(`bucket ${bucket} does not exist`);
        throw error;
      } finally {
        process.off('SIGINT', onSignal);
      }
      progress.done();
      const seconds = (Date.now() - started) / 1000;
      const summary = {
        bucket,
        prefix,
        dryRun: flags.dryRun ?? false,
        ...result,
        seconds: Math.round(seconds * 10) / 10,
        checkpoint: checkpointPath,
      };
      if (flags.json) return printJson(summary);
      console.log(
        `Backfill of s3://${bucket}/${prefix}: ${result.listed} objects listed in ${result.partitions} partitions, ` +
          `${result.enqueued} notifications ${flags.dryRun ? 'would be enqueued' : 'enqueued'} in ${summary.seconds} s` +
          `${result.skippedDeleteMarkers ? `; ${result.skippedDeleteMarkers} keys skipped: their newest version is a delete marker` : ''}. ` +
          'The worker records the new ones; objects already in the log count as duplicates.',
      );
    });
}
