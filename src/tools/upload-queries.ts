import { type DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BY_BUCKET_DAY_INDEX, bucketDayPartition, objectPk, STATE_SK } from '../core/log-items.js';
import { type Column, printable } from './format.js';
import { ToolError, UsageError } from './tool-error.js';

/** A row of the upload log, as stored. */
export type LogRow = Record<string, unknown> & { pk: string; sk: string };

/** The columns of `uploads` tables and CSV (the console exports the same CSV). */
export const UPLOAD_COLUMNS: Column<LogRow>[] = [
  { header: 'eventTime', value: (r) => r.eventTime as string },
  { header: 'bucket', value: (r) => r.bucket as string },
  { header: 'key', value: (r) => r.key as string },
  { header: 'status', value: (r) => r.status as string },
  { header: 'size', value: (r) => r.size as number },
  { header: 'eTag', value: (r) => r.eTag as string },
  { header: 'versionId', value: (r) => r.versionId as string },
  { header: 'uploader', value: (r) => r.uploader as string },
  { header: 'sourceIp', value: (r) => r.sourceIp as string },
  { header: 'reason', value: (r) => r.reason as string },
  { header: 'copiedTo', value: (r) => r.copiedTo as string },
  {
    header: 'scan',
    value: (r) => [r.scanStatus, r.scanResult].filter((part) => typeof part === 'string').join(' '),
  },
  { header: 'processedAt', value: (r) => r.processedAt as string },
];

/** A page of rows and where the next page starts. */
export interface RowPage {
  readonly rows: LogRow[];
  /** Pass back as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

/** The longest time range one query of the index may span: 31 days (248 partitions at 8 shards). */
export const MAX_RANGE_DAYS = 31;

/** What to read from the `byBucketDay` index. */
export interface BucketRangeQuery {
  /** One or more watched buckets, merged into one order. */
  readonly buckets: readonly string[];
  readonly from: Date;
  readonly to: Date;
  readonly shardCount: number;
  readonly status?: string;
  /** Most rows on the page. */
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly after?: string;
}

/**
 * Where a row sits in the order pages follow: `gsi1sk` (event time, then key), then `pk` and
 * `sk`, which together tell every row of every bucket apart, ties of time and key included.
 */
type Position = readonly [gsi1sk: string, pk: string, sk: string];

const positionOf = (row: LogRow): Position => [String(row.gsi1sk), row.pk, row.sk];

/** Orders positions as DynamoDB orders sort keys: by their UTF-8 bytes (not JavaScript's UTF-16 units). */
function comparePositions(a: Position, b: Position): number {
  for (let i = 0; i < 3; i += 1) {
    const order = Buffer.compare(Buffer.from(a[i] ?? '', 'utf8'), Buffer.from(b[i] ?? '', 'utf8'));
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * A page cursor: the last row's position as base64url JSON. It holds only `A-Z a-z 0-9 - _`, so a
 * printed hint is safe to paste into a shell whatever the key holds.
 */
export function encodeCursor(row: LogRow): string {
  return Buffer.from(JSON.stringify(positionOf(row)), 'utf8').toString('base64url');
}

/** Reads a cursor {@link encodeCursor} made. @throws {UsageError} for anything else */
export function decodeCursor(cursor: string): Position {
  const refuse = () =>
    new UsageError(
      `--after takes the cursor an earlier page printed (letters, digits, - and _), got "${cursor}"`,
    );
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (
    !Array.isArray(position) ||
    position.length !== 3 ||
    !position.every((part) => typeof part === 'string') ||
    Number.isNaN(Date.parse(String(position[0]).split('#')[0] ?? ''))
  ) {
    throw refuse();
  }
  return position as unknown as Position;
}

/** Checks a time range before any query: ordered, and at most {@link MAX_RANGE_DAYS} long. */
export function checkTimeRange(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new UsageError('from and to must be ISO 8601 times');
  if (to <= from) throw new UsageError('the end of the time range must be after its start');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new UsageError(
      `a time range may span at most ${MAX_RANGE_DAYS} days (each day is one query per shard); ask for a shorter one and page through the rest`,
    );
  }
}

/** Asks the upload log what was uploaded, where and when. */
export class UploadQueries {
  readonly #documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.#documents = DynamoDBDocumentClient.from(client);
  }

  /**
   * Upload rows of one bucket or several with eventTime in [from, to), oldest first, through the
   * `byBucketDay` index. Days are read in order, each day's partitions (every shard of every
   * bucket) in parallel, each query with `Limit` of what the page still needs; reading stops at the
   * first day that fills the page. `next` continues exactly after the last row shown.
   *
   * @throws {UsageError} for a range longer than {@link MAX_RANGE_DAYS} or a cursor it did not make
   */
  async byBuckets(query: BucketRangeQuery): Promise<RowPage> {
    checkTimeRange(query.from, query.to);
    const after = query.after === undefined ? undefined : decodeCursor(query.after);
    const fromText = query.from.toISOString();
    const lower = after && after[0] > fromText ? after[0] : fromText;
    // gsi1sk is `<eventTime>#<key>`: every key of the last instant sorts below `<to>`.
    const upper = query.to.toISOString();
    const wanted = query.limit + 1;
    const keep = (row: LogRow) =>
      Buffer.compare(Buffer.from(String(row.gsi1sk), 'utf8'), Buffer.from(upper, 'utf8')) < 0 &&
      (!after || comparePositions(positionOf(row), after) > 0);
    const found: LogRow[] = [];
    for (const day of daysBetween(query.from, query.to)) {
      if (day < lower.slice(0, 10)) continue;
      const partitions = query.buckets.flatMap((bucket) =>
        Array.from({ length: query.shardCount }, (_, shard) => bucketDayPartition(bucket, day, shard)),
      );
      const perPartition = await Promise.all(
        partitions.map((partition) =>
          this.#queryAll(
            {
              TableName: this.tableName,
              IndexName: BY_BUCKET_DAY_INDEX,
              KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :lower AND :upper',
              ExpressionAttributeValues: {
                ':pk': partition,
                ':lower': lower,
                ':upper': upper,
                ...(query.status && { ':status': query.status }),
              },
              ...(query.status && {
                FilterExpression: '#status = :status',
                ExpressionAttributeNames: { '#status': 'status' },
              }),
            },
            wanted,
            keep,
          ),
        ),
      );
      found.push(...perPartition.flat());
      // A later day's rows all sort after this day's: a full page needs no more days.
      if (found.length >= wanted) break;
    }
    const merged = found.sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
    const rows = merged.slice(0, query.limit);
    const last = rows.at(-1);
    return { rows, ...(merged.length > query.limit && last && { next: encodeCursor(last) }) };
  }

  /** One bucket's rows: {@link byBuckets} for a single bucket. */
  byBucket(options: Omit<BucketRangeQuery, 'buckets'> & { bucket: string }): Promise<RowPage> {
    const { bucket, ...rest } = options;
    return this.byBuckets({ ...rest, buckets: [bucket] });
  }

  /** An object's upload history (oldest first) and its current state row. */
  async byObject(bucket: string, key: string): Promise<{ uploads: LogRow[]; state?: LogRow }> {
    const rows = await this.#queryAll(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': objectPk(bucket, key) },
      },
      Number.POSITIVE_INFINITY,
    );
    const state = rows.find((row) => row.sk === STATE_SK);
    const uploads = rows
      .filter((row) => row.sk !== STATE_SK)
      .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
    return { uploads, ...(state && { state }) };
  }

  /** Reads pages until `max` rows are kept; with a finite `max`, each query asks for no more. */
  async #queryAll(
    input: QueryCommandInput,
    max: number,
    keep: (row: LogRow) => boolean = () => true,
  ): Promise<LogRow[]> {
    const rows: LogRow[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.#documents.send(
          new QueryCommand({
            ...input,
            ...(Number.isFinite(max) && { Limit: max - rows.length }),
            ...(start && { ExclusiveStartKey: start }),
          }),
        );
        rows.push(...((page.Items ?? []) as LogRow[]).filter(keep));
        start = page.LastEvaluatedKey;
      } while (start && rows.length < max);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new ToolError(
          `table ${this.tableName} not found: is the stack running, and is this the right target?`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    return rows.slice(0, max);
  }
}

/** Every UTC day (YYYY-MM-DD) that [from, to) touches. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (cursor < to) {
    days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

/**
 * Parses `s3://bucket/key`. The key is taken as it is, whatever it holds (a newline included): S3
 * keys may hold any character.
 *
 * @throws {UsageError} for anything else
 */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/([\s\S]+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new UsageError(`expected s3://BUCKET/KEY, got "${printable(uri)}"`);
  return { bucket: match[1], key: match[2] };
}
