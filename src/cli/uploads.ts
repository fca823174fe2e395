import { Command, Option } from 'commander';
import { printable, renderCsv, renderTable } from '../tools/format.js';
import { requireWatchedBucket, resolveTarget } from '../tools/target.js';
import { UsageError } from '../tools/tool-error.js';
import {
  checkTimeRange,
  decodeCursor,
  type LogRow,
  MAX_RANGE_DAYS,
  parseS3Uri,
  UPLOAD_COLUMNS,
  UploadQueries,
} from '../tools/upload-queries.js';
import {
  positiveInteger,
  printJson,
  type TargetFlags,
  targetOptionsOf,
  withTargetOptions,
} from './support.js';

function parseTime(value: string | undefined, name: string, fallback: Date): Date {
  if (value === undefined) return fallback;
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new UsageError(`${name} must be an ISO 8601 time, got "${printable(value)}"`);
  return time;
}

interface UploadsFlags extends TargetFlags {
  readonly bucket?: string;
  readonly object?: string;
  readonly from?: string;
  readonly to?: string;
  readonly status?: string;
  readonly format: string;
  readonly json?: boolean;
  readonly limit: number;
  readonly after?: string;
  readonly shards?: number;
}

/**
 * `s3-ingest uploads`: who uploaded what, and when. JSON output is one document of one shape:
 * `{ "rows": [...], "state": {...} | null, "next": "cursor" }`; `state` only with `--object`,
 * `next` only when there is a next page.
 */
export function uploadsCommand(): Command {
  return withTargetOptions(new Command('uploads'))
    .summary('who uploaded what, and when: query the upload log')
    .description("query the upload log: a bucket's uploads by time, or one object's history and state")
    .option('--bucket <name>', "a watched bucket's uploads by event time (the byBucketDay index)")
    .option('--object <s3uri>', "one object's upload history and current state: s3://BUCKET/KEY")
    .option('--from <time>', 'ISO 8601 start (default: 24 hours before --to)')
    .option('--to <time>', 'ISO 8601 end (default: now)')
    .addOption(new Option('--status <status>', 'keep one status').choices(['STORED', 'REJECTED', 'GONE']))
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json', 'csv']).default('table'))
    .option('--json', 'the same as --format json')
    .option('--limit <n>', 'rows per page', positiveInteger, 100)
    .option('--after <cursor>', 'the next page: the cursor the previous page printed')
    .option('--shards <n>', "shards per bucket-day (default: the stack's GsiShardCount)", positiveInteger)
    .addHelpText(
      'after',
      '\nWith neither --bucket nor --object: every watched bucket, last 24 hours.\n' +
        `A range spans at most ${MAX_RANGE_DAYS} days. Tables show control and bidi characters of keys as escapes (\\x1b, \\n, \\u202e);\n` +
        "CSV cells that begin with = + - @ ' tab or CR get a leading ' (reprocess --from-file takes it off again).\n" +
        'JSON: { "rows": [...], "state": {...}|null (with --object), "next": CURSOR (when more) }.',
    )
    .action(async (flags: UploadsFlags) => {
      const format = flags.json ? 'json' : flags.format;
      if (flags.after !== undefined) decodeCursor(flags.after);
      if (flags.bucket && flags.object) throw new UsageError('give --bucket or --object, not both');
      const to = parseTime(flags.to, '--to', new Date());
      const from = parseTime(flags.from, '--from', new Date(to.getTime() - 86_400_000));
      if (to <= from) throw new UsageError('--to must be after --from');
      checkTimeRange(from, to);
      const object = flags.object === undefined ? undefined : parseS3Uri(flags.object);
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const queries = new UploadQueries(clients.dynamodb, target.uploadLogTable);

      if (object) {
        requireWatchedBucket(target, object.bucket);
        const { uploads, state } = await queries.byObject(object.bucket, object.key);
        if (format === 'json') return printJson({ rows: uploads, state: state ?? null });
        print(uploads, format);
        if (format === 'table') {
          console.log(
            state
              ? `\nstate: ${printable(`${state.status} (eTag ${state.eTag ?? '-'}, size ${state.size ?? '-'}, event ${state.eventTime}, sequencer ${state.sequencer})`)}`
              : '\nstate: none recorded',
          );
        }
        return;
      }

      if (flags.bucket) requireWatchedBucket(target, flags.bucket);
      const buckets = flags.bucket ? [flags.bucket] : target.watchedBuckets;
      const page = await queries.byBuckets({
        buckets,
        from,
        to,
        shardCount: flags.shards ?? target.gsiShardCount,
        limit: flags.limit,
        ...(flags.status && { status: flags.status }),
        ...(flags.after && { after: flags.after }),
      });
      if (format === 'json') return printJson({ rows: page.rows, ...(page.next && { next: page.next }) });
      print(page.rows, format);
      // The cursor is base64url: safe to paste unquoted, whatever the keys hold.
      if (page.next) console.error(`more rows: add --after ${page.next}`);
    });
}

function print(rows: LogRow[], format: string): void {
  if (format === 'csv') process.stdout.write(`${renderCsv(rows, UPLOAD_COLUMNS)}\n`);
  else console.log(rows.length === 0 ? 'No uploads found.' : renderTable(rows, UPLOAD_COLUMNS));
}
