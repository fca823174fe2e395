import { Command } from 'commander';
import { S3ObjectStore } from '../adapters/object-store.js';
import { renderTable } from '../tools/format.js';
import {
  createReprocessor,
  type ReprocessResult,
  requestsFromFile,
  workerConfigOf,
} from '../tools/reprocess.js';
import { requireWatchedBucket, resolveTarget } from '../tools/target.js';
import { UsageError } from '../tools/tool-error.js';
import { parseS3Uri } from '../tools/upload-queries.js';
import { printJson, type TargetFlags, targetOptionsOf, withTargetOptions } from './support.js';

/** `s3-ingest reprocess`: re-run the idempotent step for objects recorded wrongly. */
export function reprocessCommand(): Command {
  return withTargetOptions(new Command('reprocess'))
    .summary('re-run the idempotent step for objects recorded wrongly')
    .description(
      "re-runs the worker's idempotent step for objects past their idempotency record (HeadObject, validation, " +
        'copy, row), replacing a row that was recorded wrongly, with reprocessedAt, previousStatus and previousReason',
    )
    .argument('[objects...]', 's3://BUCKET/KEY of each object (its current version)')
    .option('--version-id <id>', 'this version instead of the current one (one object only)')
    .option(
      '--from-file <file>',
      'objects to reprocess: the CSV `uploads --format csv` writes, or one s3:// URI per line',
    )
    .option('--dry-run', 'show what would change, change nothing (no row, no copy)')
    .option('--json', 'print JSON')
    .action(
      async (
        uris: string[],
        flags: TargetFlags & { versionId?: string; fromFile?: string; dryRun?: boolean; json?: boolean },
      ) => {
        const requests = [
          ...uris.map((uri) => ({
            ...parseS3Uri(uri),
            ...(flags.versionId && { versionId: flags.versionId }),
          })),
          ...(flags.fromFile ? await requestsFromFile(flags.fromFile) : []),
        ];
        if (requests.length === 0 && !flags.fromFile) {
          throw new UsageError('name the objects: s3://BUCKET/KEY ..., or --from-file FILE');
        }
        if (flags.versionId && requests.length > 1)
          throw new UsageError('--version-id goes with one object only');
        const { target, clients } = await resolveTarget(targetOptionsOf(flags));
        for (const request of requests) requireWatchedBucket(target, request.bucket);
        const config = await workerConfigOf(target);
        const reprocess = createReprocessor({
          objects: new S3ObjectStore(clients.s3),
          dynamodb: clients.dynamodb,
          config,
          dryRun: flags.dryRun ?? false,
        });
        const results: ReprocessResult[] = [];
        for (const request of requests) results.push(await reprocess(request));
        if (flags.json) return printJson({ dryRun: flags.dryRun ?? false, results });
        if (results.length === 0)
          return console.log(`Nothing to reprocess: ${flags.fromFile} names no object.`);
        console.log(
          renderTable(results, [
            { header: 'object', value: (r) => r.object },
            { header: 'eTag', value: (r) => r.eTag ?? '-' },
            { header: flags.dryRun ? 'would be' : 'action', value: (r) => r.action },
            {
              header: 'before',
              value: (r) =>
                r.previous ? `${r.previous.status}${r.previous.reason ? `: ${r.previous.reason}` : ''}` : '-',
            },
            {
              header: 'now',
              value: (r) => (r.now ? `${r.now.status}${r.now.reason ? `: ${r.now.reason}` : ''}` : '-'),
            },
            { header: 'copiedTo', value: (r) => r.now?.copiedTo ?? '-' },
          ]),
        );
        if (results.some((r) => r.action === 'not-found')) {
          process.stderr.write('some objects were not found: nothing to reprocess for them\n');
          process.exitCode = 1;
        }
      },
    );
}
