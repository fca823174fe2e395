import { type DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BY_BUCKET_DAY_INDEX, bucketDayPartition, objectPk, STATE_SK } from '../core/log-items.js';
import type { Column } from './format.js';
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
  { header: 'uploader', value: (r) => r.uploader as string },
  { header: 'sourceIp', value: (r) => r.sourceIp as string },
  { header: 'reason', value: (r) => r.reason as string },
  { header: 'copiedTo', value: (r) => r.copiedTo as string },
  { header: 'processedAt', value: (r) => r.processedAt as string },
];

/** A page of rows and where the next page starts. */
export interface RowPage {
  readonly rows: LogRow[];
  /** Pass back as `after` for the next page; absent on the last page. */
  readonly next?: string;
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
   * Upload rows of one bucket with eventTime in [from, to), newest last, through the
   * `byBucketDay` index: every shard of every day is queried in parallel and merged by `gsi1sk`.
   *
   * @param after - the `next` of the previous page
   */
  async byBucket(options: {
    bucket: string;
    from: Date;
    to: Date;
    shardCount: number;
    status?: string;
    limit: number;
    after?: string;
  }): Promise<RowPage> {
    if (options.to <= options.from) throw new ToolError('the end of the time range must be after its start');
    const lower = options.after ?? options.from.toISOString();
    // gsi1sk is `<eventTime>#<key>`: every key of the last instant sorts below `<to>`.
    const upper = options.to.toISOString();
    const partitions = daysBetween(options.from, options.to).flatMap((day) =>
      Array.from({ length: options.shardCount }, (_, shard) =>
        bucketDayPartition(options.bucket, day, shard),
      ),
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
              ...(options.status && { ':status': options.status }),
            },
            ...(options.status && {
              FilterExpression: '#status = :status',
              ExpressionAttributeNames: { '#status': 'status' },
            }),
          },
          options.limit + 1,
          (row) => row.gsi1sk !== options.after && String(row.gsi1sk) < upper,
        ),
      ),
    );
    const merged = perPartition.flat().sort((a, b) => String(a.gsi1sk).localeCompare(String(b.gsi1sk)));
    const rows = merged.slice(0, options.limit);
    const last = rows.at(-1);
    return { rows, ...(merged.length > options.limit && last && { next: String(last.gsi1sk) }) };
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
          new QueryCommand({ ...input, ...(start && { ExclusiveStartKey: start }) }),
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

/** Parses `s3://bucket/key`. @throws {ToolError} for anything else */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new UsageError(`expected s3://BUCKET/KEY, got "${uri}"`);
  return { bucket: match[1], key: match[2] };
}
