import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesEventPattern } from '../core/event-pattern.js';

/** The stream event source's settings, as the synthesized template gives them. */
export interface StreamSourceSettings {
  readonly batchSize: number;
  /** The mapping's filter patterns: a record reaches the function when one matches (none: all do). */
  readonly filters: readonly Readonly<Record<string, unknown>>[];
}

/** Where each shard is: the last sequence number handled, and whether the shard is closed and read. */
export type StreamCheckpoint = Map<string, { readonly after?: string; readonly done?: boolean }>;

/** A stream record as Lambda hands it to a function (times in epoch seconds). */
function lambdaRecordOf(record: StreamRecord, region: string, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    ...(record.eventID !== undefined && { eventID: record.eventID }),
    ...(record.eventName !== undefined && { eventName: record.eventName }),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as NonNullable<DynamoDBRecord['dynamodb']>),
      ...(created !== undefined && { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
    },
  };
}

/**
 * Lambda's DynamoDB Streams event source on the local stack: reads every shard of the table's
 * stream from the trim horizon, hands each batch that passes the template's filters to the
 * function, and on a reported failure reads again from the failed record (as `bisect` and batch
 * item failures do). It keeps a checkpoint per shard, so a poller started again with it resumes
 * where the last one stopped: no record is skipped, and records after the checkpoint may be handed
 * over again. DynamoDB Local's streams are AWS's; dynalite has none.
 */
export class LocalStreamPoller {
  readonly checkpoint: StreamCheckpoint;
  readonly stats = { batches: 0, records: 0, failures: 0 };
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #iterators = new Map<string, string>();

  constructor(
    private readonly options: {
      readonly dynamodb: DynamoDBClient;
      readonly streams: DynamoDBStreamsClient;
      readonly tableName: string;
      readonly region: string;
      readonly settings: StreamSourceSettings;
      readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
      readonly onError: (error: unknown) => void;
      readonly checkpoint?: StreamCheckpoint;
      /** @default 100 */
      readonly idleMs?: number;
    },
  ) {
    this.checkpoint = new Map(options.checkpoint ?? []);
  }

  /** Starts polling; resolves once the stream is found. */
  async start(): Promise<void> {
    const { Table } = await this.options.dynamodb.send(
      new DescribeTableCommand({ TableName: this.options.tableName }),
    );
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${this.options.tableName} has no stream`);
    this.#loop = this.#run(streamArn);
  }

  /** Stops after the batch in hand; the checkpoint says where the next poller resumes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(streamArn: string): Promise<void> {
    while (!this.#stopped) {
      let handled = 0;
      try {
        handled = await this.#pollOnce(streamArn);
      } catch (error) {
        this.options.onError(error);
      }
      if (handled === 0 && !this.#stopped) {
        await new Promise((resolve) => setTimeout(resolve, this.options.idleMs ?? 100));
      }
    }
  }

  /** One pass over the open shards. @returns the records handed to the function */
  async #pollOnce(streamArn: string): Promise<number> {
    const { streams } = this.options;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    let handled = 0;
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId ?? '';
      // A child shard is read once its parent is done, as Lambda does: order per key holds across a split.
      const parent = shard.ParentShardId;
      const parentOpen =
        parent !== undefined &&
        (StreamDescription?.Shards ?? []).some((other) => other.ShardId === parent) &&
        !this.checkpoint.get(parent)?.done;
      if (this.checkpoint.get(shardId)?.done || parentOpen || this.#stopped) continue;
      handled += await this.#pollShard(streamArn, shardId);
    }
    return handled;
  }

  async #pollShard(streamArn: string, shardId: string): Promise<number> {
    const { streams, settings } = this.options;
    let iterator = this.#iterators.get(shardId);
    if (!iterator) {
      const after = this.checkpoint.get(shardId)?.after;
      const answer = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(after
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      iterator = answer.ShardIterator;
      if (!iterator) return 0;
    }
    let page: { Records?: StreamRecord[]; NextShardIterator?: string };
    try {
      page = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: settings.batchSize }),
      );
    } catch (error) {
      // An iterator that expired, or (DynamoDB Local) one taken on an empty shard that records then
      // passed: a new one from the checkpoint reads the same records.
      const name = (error as { name?: string }).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      this.#iterators.delete(shardId);
      return 0;
    }
    const { Records = [], NextShardIterator } = page;
    const records = Records.map((record) => lambdaRecordOf(record, this.options.region, streamArn));
    const passed = records.filter(
      (record) =>
        settings.filters.length === 0 ||
        settings.filters.some((pattern) =>
          matchesEventPattern(pattern, record as unknown as Record<string, unknown>),
        ),
    );
    if (passed.length > 0) {
      this.stats.batches += 1;
      const answer = await this.options.handler({ Records: passed });
      const failed = answer.batchItemFailures?.[0]?.itemIdentifier;
      if (failed) {
        // Read again from the failed record (everything before it is done).
        this.stats.failures += 1;
        const index = records.findIndex((record) => record.dynamodb?.SequenceNumber === failed);
        const before = index > 0 ? records[index - 1]?.dynamodb?.SequenceNumber : undefined;
        const previous = this.checkpoint.get(shardId)?.after;
        this.checkpoint.set(shardId, {
          ...((before ?? previous) !== undefined && { after: before ?? previous }),
        });
        this.#iterators.delete(shardId);
        this.stats.records += Math.max(0, index);
        return Math.max(0, index);
      }
      this.stats.records += passed.length;
    }
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) this.checkpoint.set(shardId, { after: last });
    if (NextShardIterator) this.#iterators.set(shardId, NextShardIterator);
    else {
      this.checkpoint.set(shardId, { ...this.checkpoint.get(shardId), done: true });
      this.#iterators.delete(shardId);
    }
    return records.length;
  }
}
