import { randomUUID } from 'node:crypto';

/** A DynamoDB item or key in the wire format (`{"S": "..."}` attribute values). */
export type WireItem = Record<string, unknown>;

/** What a stream record carries, as a table's `StreamViewType` says. */
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

/** A stream record in the wire format DynamoDB Streams' `GetRecords` answers with. */
export interface WireStreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion: '1.1';
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime: number;
    readonly Keys: WireItem;
    readonly NewImage?: WireItem;
    readonly OldImage?: WireItem;
    readonly SequenceNumber: string;
    readonly SizeBytes: number;
    readonly StreamViewType: StreamViewType;
  };
}

/** A stream's records are kept 24 hours, as DynamoDB Streams keeps them. */
export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The one shard each local stream has (order is the order of the writes, for every key). */
export const LOCAL_SHARD_ID = 'shardId-00000000000000000001-00000001';

const SEQUENCE_DIGITS = 21;
const sequenceString = (sequence: number) => String(sequence).padStart(SEQUENCE_DIGITS, '0');

/** A JSON text of a value with every object's keys sorted: equal items give equal texts. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The stream record one write makes, from the item before and after it: `INSERT`, `MODIFY` or
 * `REMOVE`, or none when the write changed nothing (DynamoDB Streams writes no record for a put or
 * update that leaves the item as it was).
 */
export function changeOf(
  before: WireItem | undefined,
  after: WireItem | undefined,
): 'INSERT' | 'MODIFY' | 'REMOVE' | undefined {
  if (!before && !after) return undefined;
  if (!before) return 'INSERT';
  if (!after) return 'REMOVE';
  return canonical(before) === canonical(after) ? undefined : 'MODIFY';
}

/** The iterator types `GetShardIterator` takes. */
export type ShardIteratorType = 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER';

/** An error DynamoDB Streams answers with, by its `__type`. */
export class StreamError extends Error {
  constructor(
    readonly type: 'ResourceNotFoundException' | 'TrimmedDataAccessException' | 'ValidationException',
    message: string,
  ) {
    super(message);
  }
}

/**
 * One table's stream, in memory: records in write order on one shard, kept 24 hours, read with
 * shard iterators as DynamoDB Streams' API reads them. An iterator is the position it reads next,
 * so one taken before the trim and read after it fails as AWS's does (`TrimmedDataAccessException`).
 */
export class TableStream {
  readonly #records: WireStreamRecord[] = [];
  readonly #createdAt: number[] = [];
  /** Sequence number of the record at index 0 of `#records` (the oldest kept). */
  #first = 1;

  constructor(
    readonly arn: string,
    readonly label: string,
    readonly tableName: string,
    readonly viewType: StreamViewType,
    readonly keySchema: readonly { AttributeName: string; KeyType: string }[],
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {}

  get #next(): number {
    return this.#first + this.#records.length;
  }

  /** Appends the record of one write (none when it changed nothing). @returns the record */
  append(
    keys: WireItem,
    before: WireItem | undefined,
    after: WireItem | undefined,
  ): WireStreamRecord | undefined {
    const eventName = changeOf(before, after);
    if (!eventName) return undefined;
    this.trim();
    const showsNew = this.viewType === 'NEW_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES';
    const showsOld = this.viewType === 'OLD_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES';
    const images = {
      Keys: keys,
      ...(showsNew && after && { NewImage: after }),
      ...(showsOld && before && { OldImage: before }),
    };
    const now = this.now();
    const record: WireStreamRecord = {
      eventID: randomUUID().replaceAll('-', ''),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(now / 1000),
        ...images,
        SequenceNumber: sequenceString(this.#next),
        SizeBytes: Buffer.byteLength(JSON.stringify(images)),
        StreamViewType: this.viewType,
      },
    };
    this.#records.push(record);
    this.#createdAt.push(now);
    return record;
  }

  /** Drops the records older than the retention. */
  trim(): void {
    const horizon = this.now() - STREAM_RETENTION_MS;
    let drop = 0;
    while (drop < this.#createdAt.length && (this.#createdAt[drop] ?? 0) < horizon) drop += 1;
    if (drop === 0) return;
    this.#records.splice(0, drop);
    this.#createdAt.splice(0, drop);
    this.#first += drop;
  }

  /** `DescribeStream`'s answer. */
  describe(): Record<string, unknown> {
    return {
      StreamArn: this.arn,
      StreamLabel: this.label,
      StreamStatus: 'ENABLED',
      StreamViewType: this.viewType,
      TableName: this.tableName,
      KeySchema: this.keySchema,
      CreationRequestDateTime: Number(new Date(`${this.label}Z`)) / 1000,
      Shards: [
        { ShardId: LOCAL_SHARD_ID, SequenceNumberRange: { StartingSequenceNumber: sequenceString(1) } },
      ],
    };
  }

  /** `GetShardIterator`: the position to read from, as an opaque token. */
  iterator(shardId: string, type: ShardIteratorType, sequenceNumber?: string): string {
    if (shardId !== LOCAL_SHARD_ID) throw new StreamError('ResourceNotFoundException', `no shard ${shardId}`);
    this.trim();
    let position: number;
    if (type === 'TRIM_HORIZON') position = this.#first;
    else if (type === 'LATEST') position = this.#next;
    else {
      if (!sequenceNumber || !/^\d{1,40}$/.test(sequenceNumber))
        throw new StreamError('ValidationException', `${type} needs a SequenceNumber`);
      const sequence = Number(sequenceNumber);
      if (sequence >= this.#next)
        throw new StreamError('ValidationException', `no record ${sequenceNumber} yet`);
      position = type === 'AT_SEQUENCE_NUMBER' ? sequence : sequence + 1;
      if (position < this.#first)
        throw new StreamError('TrimmedDataAccessException', `record ${sequenceNumber} is past the retention`);
    }
    return Buffer.from(JSON.stringify({ arn: this.arn, position })).toString('base64url');
  }

  /** `GetRecords`: up to `limit` records from the iterator's position, and the iterator after them. */
  read(position: number, limit: number): { Records: WireStreamRecord[]; NextShardIterator: string } {
    this.trim();
    if (position < this.#first)
      throw new StreamError('TrimmedDataAccessException', 'the iterator points past the retention');
    const start = position - this.#first;
    const Records = this.#records.slice(start, start + limit);
    const next = position + Records.length;
    return {
      Records,
      NextShardIterator: Buffer.from(JSON.stringify({ arn: this.arn, position: next })).toString('base64url'),
    };
  }
}

/** Reads a shard iterator token back. @throws {StreamError} when it is not one of ours */
export function parseShardIterator(token: unknown): { arn: string; position: number } {
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as {
      arn?: unknown;
      position?: unknown;
    };
    if (typeof parsed.arn === 'string' && Number.isSafeInteger(parsed.position))
      return { arn: parsed.arn, position: parsed.position as number };
  } catch {
    // answered below
  }
  throw new StreamError('ValidationException', 'ShardIterator is not a valid iterator');
}
