import { parseArgs } from 'node:util';
import { positiveNumber, runTool, TARGET_ARG_OPTIONS, TARGET_HELP, targetOptionsOf } from './cli-support.js';
import { type Column, renderCsv, renderTable } from './format.js';
import { requireWatchedBucket, resolveTarget } from './target.js';
import { ToolError } from './tool-error.js';
import { type LogRow, parseS3Uri, UploadQueries } from './upload-queries.js';

const HELP = `Usage: npm run uploads -- [query] [options]

Who uploaded what, and when: queries the upload log.

Queries:
  --bucket NAME [--from TIME] [--to TIME] [--status STATUS]
                        uploads to a bucket by event time, through the byBucketDay index
                        (default: the last 24 hours; TIME is ISO 8601, e.g. 2026-11-24T10:00Z);
                        --status STORED|REJECTED|GONE keeps one status
  --object s3://BUCKET/KEY
                        one object's upload history and its current state
  (no query)            the watched buckets' uploads of the last 24 hours

Output and paging:
  --format table|json|csv   (default table; --json is --format json)
  --limit N                 rows per page (default 100)
  --after CURSOR            the next page: the cursor the previous page printed
  --shards N                shards per bucket-day to query (default: the stack's GSI_SHARD_COUNT,
                            from its GsiShardCount output or the local stack file)

${TARGET_HELP}`;

const COLUMNS: Column<LogRow>[] = [
  { header: 'eventTime', value: (r) => r.eventTime as string },
  { header: 'bucket', value: (r) => r.bucket as string },
  { header: 'key', value: (r) => r.key as string },
  { header: 'status', value: (r) => r.status as string },
  { header: 'size', value: (r) => r.size as number },
  { header: 'eTag', value: (r) => r.eTag as string },
  { header: 'uploader', value: (r) => r.uploader as string },
  { header: 'sourceIp', value: (r) => r.sourceIp as string },
  { header: 'reason', value: (r) => r.reason as string },
  { header: 'copiedTo', value: (r) => r.copiedTo as string },
  { header: 'processedAt', value: (r) => r.processedAt as string },
];

function parseTime(value: string | undefined, name: string, fallback: Date): Date {
  if (value === undefined) return fallback;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new ToolError(`${name} must be an ISO 8601 time, got "${value}"`);
  return time;
}

function print(rows: LogRow[], format: string, extra: Record<string, unknown> = {}): void {
  if (format === 'json') console.log(JSON.stringify({ rows, ...extra }, null, 2));
  else if (format === 'csv') console.log(renderCsv(rows, COLUMNS));
  else console.log(rows.length === 0 ? 'No uploads found.' : renderTable(rows, COLUMNS));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...TARGET_ARG_OPTIONS,
      bucket: { type: 'string' },
      object: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      status: { type: 'string' },
      format: { type: 'string' },
      limit: { type: 'string' },
      after: { type: 'string' },
      shards: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const format = values.json ? 'json' : (values.format ?? 'table');
  if (!['table', 'json', 'csv'].includes(format))
    throw new ToolError(`--format must be table, json or csv, got "${format}"`);
  if (values.status && !['STORED', 'REJECTED', 'GONE'].includes(values.status)) {
    throw new ToolError(`--status must be STORED, REJECTED or GONE, got "${values.status}"`);
  }
  const { target, clients } = await resolveTarget(targetOptionsOf(values));
  const queries = new UploadQueries(clients.dynamodb, target.uploadLogTable);

  if (values.object) {
    const { bucket, key } = parseS3Uri(values.object);
    requireWatchedBucket(target, bucket);
    const { uploads, state } = await queries.byObject(bucket, key);
    if (format === 'json') {
      console.log(JSON.stringify({ uploads, state: state ?? null }, null, 2));
      return;
    }
    print(uploads, format);
    if (format === 'table') {
      console.log(
        state
          ? `\nstate: ${state.status} (eTag ${state.eTag ?? '-'}, size ${state.size ?? '-'}, event ${state.eventTime}, sequencer ${state.sequencer})`
          : '\nstate: none recorded',
      );
    }
    return;
  }

  const to = parseTime(values.to, '--to', new Date());
  const from = parseTime(values.from, '--from', new Date(to.getTime() - 86_400_000));
  if (values.bucket) requireWatchedBucket(target, values.bucket);
  const buckets = values.bucket ? [values.bucket] : target.watchedBuckets;
  const limit = positiveNumber(values.limit, '--limit') ?? 100;
  const shardCount = positiveNumber(values.shards, '--shards') ?? target.gsiShardCount;
  const pages = await Promise.all(
    buckets.map((bucket) =>
      queries.byBucket({
        bucket,
        from,
        to,
        shardCount,
        limit,
        ...(values.status && { status: values.status }),
        ...(values.after && { after: values.after }),
      }),
    ),
  );
  const rows = pages
    .flatMap((page) => page.rows)
    .sort((a, b) => String(a.gsi1sk).localeCompare(String(b.gsi1sk)));
  const next = pages.find((page) => page.next)?.next;
  print(rows.slice(0, limit), format, next ? { next } : {});
  if (next && format !== 'json') console.error(`more rows: add --after '${next}'`);
}

runTool(main);
