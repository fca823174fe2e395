import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type DispatchFunc, inject } from 'light-my-request';
import {
  parseShardIterator,
  type ShardIteratorType,
  StreamError,
  type StreamViewType,
  TableStream,
  type WireItem,
} from './table-stream.js';

const DYNAMODB = 'DynamoDB_20120810.';
const STREAMS = 'DynamoDBStreams_20120810.';
const JSON_TYPE = 'application/x-amz-json-1.0';

type KeySchema = { AttributeName: string; KeyType: string }[];
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
}

/** One write's table and key, with the item before it (read under the key's lock). */
interface PendingChange {
  readonly stream: TableStream;
  readonly keys: WireItem;
  readonly before: WireItem | undefined;
}

/**
 * DynamoDB Streams for dynalite, which has none: a request listener in front of dynalite that
 * keeps, for each table created with a `StreamSpecification`, the stream of its successful writes
 * (`PutItem`, `UpdateItem`, `DeleteItem`, `BatchWriteItem`) with AWS's record shape, and answers
 * DynamoDB Streams' API (`ListStreams`, `DescribeStream`, `GetShardIterator`, `GetRecords`) on
 * the same endpoint, as DynamoDB Local does.
 *
 * Each write on such a table runs under a lock on its key, between a consistent read of the item
 * before and one after: the record has exactly the images the write made, a failed or
 * conditional-check-failed write makes none, and the records of one key are in the order its
 * writes took effect. What it does not model: more than one shard, iterators that expire after
 * 15 minutes, `TransactWriteItems` (dynalite has no transactions), and TTL deletions (no TTL).
 */
export class DynaliteStreams {
  readonly #streams = new Map<string, TableStream>();
  readonly #keySchemas = new Map<string, KeySchema>();
  readonly #locks = new Map<string, Promise<void>>();

  constructor(private readonly dynalite: DispatchFunc) {}

  /** The request listener to serve instead of dynalite's. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req)
      .then((answer) => {
        res.writeHead(answer.status, answer.headers as Record<string, string>);
        res.end(answer.body);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE });
        res.end(JSON.stringify({ __type: 'InternalServerError', message: String(error) }));
      });
  };

  async #handle(req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith(STREAMS)) return this.#streamsCall(target.slice(STREAMS.length), body);
    const operation = target.startsWith(DYNAMODB) ? target.slice(DYNAMODB.length) : '';
    const input = parseObject(body);
    switch (input && operation) {
      case 'CreateTable':
        return this.#createTable(req.headers, input as Record<string, unknown>);
      case 'DescribeTable':
        return this.#describeTable(req.headers, body);
      case 'DeleteTable': {
        const answer = await this.#send(req.headers, target, body);
        if (answer.status === 200) this.#streams.delete(String(input?.TableName));
        return answer;
      }
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return this.#singleWrite(req.headers, target, body, input as Record<string, unknown>);
      case 'BatchWriteItem':
        return this.#batchWrite(req.headers, target, body, input as Record<string, unknown>);
      default:
        return this.#send(req.headers, target, body);
    }
  }

  /** Sends a request to dynalite through its listener (no socket). */
  async #send(headers: IncomingHttpHeaders, target: string, body: string): Promise<Answer> {
    const answer = await inject(this.dynalite, {
      method: 'POST',
      url: '/',
      headers: { ...headers, 'x-amz-target': target, 'content-type': JSON_TYPE },
      payload: body,
    });
    const { 'content-length': _length, ...rest } = answer.headers;
    return { status: answer.statusCode, headers: rest, body: answer.payload };
  }

  async #call(
    headers: IncomingHttpHeaders,
    operation: string,
    input: object,
  ): Promise<Record<string, unknown>> {
    const answer = await this.#send(headers, `${DYNAMODB}${operation}`, JSON.stringify(input));
    if (answer.status !== 200)
      throw new Error(`dynalite ${operation} answered ${answer.status}: ${answer.body}`);
    return JSON.parse(answer.body) as Record<string, unknown>;
  }

  async #createTable(headers: IncomingHttpHeaders, input: Record<string, unknown>): Promise<Answer> {
    const { StreamSpecification, ...rest } = input as { StreamSpecification?: Record<string, unknown> };
    const answer = await this.#send(headers, `${DYNAMODB}CreateTable`, JSON.stringify(rest));
    if (answer.status !== 200) return answer;
    const description = (JSON.parse(answer.body) as { TableDescription: Record<string, unknown> })
      .TableDescription;
    const tableName = String(description.TableName);
    this.#keySchemas.set(tableName, description.KeySchema as KeySchema);
    if (StreamSpecification?.StreamEnabled === true) {
      const label = new Date().toISOString().slice(0, -1);
      const arn = `${String(description.TableArn)}/stream/${label}`;
      const region = String(description.TableArn).split(':')[3] ?? 'us-east-1';
      const viewType = (StreamSpecification.StreamViewType ?? 'NEW_AND_OLD_IMAGES') as StreamViewType;
      this.#streams.set(
        tableName,
        new TableStream(arn, label, tableName, viewType, description.KeySchema as KeySchema, region),
      );
    }
    return { ...answer, body: JSON.stringify({ TableDescription: this.#withStream(description) }) };
  }

  async #describeTable(headers: IncomingHttpHeaders, body: string): Promise<Answer> {
    const answer = await this.#send(headers, `${DYNAMODB}DescribeTable`, body);
    if (answer.status !== 200) return answer;
    const { Table } = JSON.parse(answer.body) as { Table: Record<string, unknown> };
    return { ...answer, body: JSON.stringify({ Table: this.#withStream(Table) }) };
  }

  /** A table description with its stream's fields, as DynamoDB describes a table with a stream. */
  #withStream(description: Record<string, unknown>): Record<string, unknown> {
    const stream = this.#streams.get(String(description.TableName));
    if (!stream) return description;
    return {
      ...description,
      StreamSpecification: { StreamEnabled: true, StreamViewType: stream.viewType },
      LatestStreamArn: stream.arn,
      LatestStreamLabel: stream.label,
    };
  }

  async #keySchemaOf(headers: IncomingHttpHeaders, tableName: string): Promise<KeySchema> {
    const known = this.#keySchemas.get(tableName);
    if (known) return known;
    const { Table } = (await this.#call(headers, 'DescribeTable', { TableName: tableName })) as {
      Table: { KeySchema: KeySchema };
    };
    this.#keySchemas.set(tableName, Table.KeySchema);
    return Table.KeySchema;
  }

  /** Runs `work` holding the locks of every key (taken in one order, so two writers never wait on each other). */
  async #withLocks<T>(names: string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(names)].sort();
    const previous = sorted.map((name) => this.#locks.get(name) ?? Promise.resolve());
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = Promise.all(previous).then(() => held);
    for (const name of sorted) this.#locks.set(name, chained);
    await Promise.all(previous);
    try {
      return await work();
    } finally {
      release();
      for (const name of sorted) if (this.#locks.get(name) === chained) this.#locks.delete(name);
    }
  }

  async #readItem(
    headers: IncomingHttpHeaders,
    tableName: string,
    keys: WireItem,
  ): Promise<WireItem | undefined> {
    const { Item } = (await this.#call(headers, 'GetItem', {
      TableName: tableName,
      Key: keys,
      ConsistentRead: true,
    })) as {
      Item?: WireItem;
    };
    return Item;
  }

  async #keysOf(
    headers: IncomingHttpHeaders,
    tableName: string,
    itemOrKey: unknown,
  ): Promise<WireItem | undefined> {
    if (!itemOrKey || typeof itemOrKey !== 'object') return undefined;
    const schema = await this.#keySchemaOf(headers, tableName);
    const keys: WireItem = {};
    for (const { AttributeName } of schema) {
      const value = (itemOrKey as WireItem)[AttributeName];
      if (value === undefined) return undefined; // dynalite refuses the write; no record
      keys[AttributeName] = value;
    }
    return keys;
  }

  async #singleWrite(
    headers: IncomingHttpHeaders,
    target: string,
    body: string,
    input: Record<string, unknown>,
  ): Promise<Answer> {
    const tableName = String(input.TableName);
    const stream = this.#streams.get(tableName);
    if (!stream) return this.#send(headers, target, body);
    const keys = await this.#keysOf(headers, tableName, input.Item ?? input.Key);
    if (!keys) return this.#send(headers, target, body);
    const operation = target.slice(DYNAMODB.length);
    return this.#withLocks([lockName(tableName, keys)], async () => {
      const images = await this.#writeWithImages(headers, target, input, operation, tableName, keys);
      if (images.answer.status === 200) stream.append(keys, images.before, images.after);
      return images.answer;
    });
  }

  /**
   * Makes one write and learns the item before and after it with as few extra calls as it can:
   * the write's own `ReturnValues` (`ALL_OLD` for a put or a delete, `ALL_NEW` for an update) when
   * the caller asked for none (they are taken out of its answer), a consistent read otherwise. A
   * put's item after it is the item it put.
   */
  async #writeWithImages(
    headers: IncomingHttpHeaders,
    target: string,
    input: Record<string, unknown>,
    operation: string,
    tableName: string,
    keys: WireItem,
  ): Promise<{ answer: Answer; before: WireItem | undefined; after: WireItem | undefined }> {
    const asked =
      input.ReturnValues === undefined || input.ReturnValues === 'NONE' ? undefined : input.ReturnValues;
    const wanted = operation === 'UpdateItem' ? 'ALL_NEW' : 'ALL_OLD';
    const readBefore = operation === 'UpdateItem' || (asked !== undefined && asked !== 'ALL_OLD');
    const before = readBefore ? await this.#readItem(headers, tableName, keys) : undefined;
    const sent = asked === undefined ? { ...input, ReturnValues: wanted } : input;
    let answer = await this.#send(headers, target, JSON.stringify(sent));
    if (answer.status !== 200) return { answer, before, after: undefined };
    const parsed = JSON.parse(answer.body) as { Attributes?: WireItem };
    const returned = asked === undefined || asked === wanted ? parsed.Attributes : undefined;
    if (asked === undefined) {
      const { Attributes: _taken, ...rest } = parsed;
      answer = { ...answer, body: JSON.stringify(rest) };
    }
    const oldImage = readBefore ? before : returned;
    let newImage: WireItem | undefined;
    if (operation === 'PutItem') newImage = input.Item as WireItem;
    else if (operation === 'UpdateItem')
      newImage = returned ?? (await this.#readItem(headers, tableName, keys));
    return { answer, before: oldImage, after: newImage };
  }

  async #batchWrite(
    headers: IncomingHttpHeaders,
    target: string,
    body: string,
    input: Record<string, unknown>,
  ): Promise<Answer> {
    const requests = (input.RequestItems ?? {}) as Record<
      string,
      { PutRequest?: { Item?: WireItem }; DeleteRequest?: { Key?: WireItem } }[]
    >;
    const touched: { tableName: string; stream: TableStream; keys: WireItem }[] = [];
    for (const [tableName, writes] of Object.entries(requests)) {
      const stream = this.#streams.get(tableName);
      if (!stream || !Array.isArray(writes)) continue;
      for (const write of writes) {
        const keys = await this.#keysOf(
          headers,
          tableName,
          write.PutRequest?.Item ?? write.DeleteRequest?.Key,
        );
        if (keys) touched.push({ tableName, stream, keys });
      }
    }
    if (touched.length === 0) return this.#send(headers, target, body);
    return this.#withLocks(
      touched.map(({ tableName, keys }) => lockName(tableName, keys)),
      async () => {
        const pending: PendingChange[] = [];
        for (const { tableName, stream, keys } of touched)
          pending.push({ stream, keys, before: await this.#readItem(headers, tableName, keys) });
        const answer = await this.#send(headers, target, body);
        if (answer.status !== 200) return answer;
        for (const { stream, keys, before } of pending)
          stream.append(keys, before, await this.#readItem(headers, stream.tableName, keys));
        return answer;
      },
    );
  }

  #streamsCall(operation: string, body: string): Answer {
    try {
      const input = parseObject(body) ?? {};
      return ok(this.#streamsAnswer(operation, input));
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      return {
        status: 400,
        headers: { 'content-type': JSON_TYPE },
        body: JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${error.type}`,
          message: error.message,
        }),
      };
    }
  }

  #streamOf(arn: unknown): TableStream {
    for (const stream of this.#streams.values()) if (stream.arn === arn) return stream;
    throw new StreamError(
      'ResourceNotFoundException',
      `Requested resource not found: Stream: ${String(arn)} not found`,
    );
  }

  #streamsAnswer(operation: string, input: Record<string, unknown>): object {
    switch (operation) {
      case 'ListStreams':
        return {
          Streams: [...this.#streams.values()]
            .filter((stream) => input.TableName === undefined || stream.tableName === input.TableName)
            .map((stream) => ({
              StreamArn: stream.arn,
              StreamLabel: stream.label,
              TableName: stream.tableName,
            })),
        };
      case 'DescribeStream':
        return { StreamDescription: this.#streamOf(input.StreamArn).describe() };
      case 'GetShardIterator':
        return {
          ShardIterator: this.#streamOf(input.StreamArn).iterator(
            String(input.ShardId),
            input.ShardIteratorType as ShardIteratorType,
            input.SequenceNumber === undefined ? undefined : String(input.SequenceNumber),
          ),
        };
      case 'GetRecords': {
        const { arn, position } = parseShardIterator(input.ShardIterator);
        const limit = input.Limit === undefined ? 1000 : Number(input.Limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw new StreamError('ValidationException', 'Limit must be between 1 and 1000');
        return this.#streamOf(arn).read(position, limit);
      }
      default:
        throw new StreamError('ValidationException', `DynamoDB Streams has no operation ${operation}`);
    }
  }
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const lockName = (tableName: string, keys: WireItem) => `${tableName}\u0000${JSON.stringify(keys)}`;

const ok = (answer: object): Answer => ({
  status: 200,
  headers: { 'content-type': JSON_TYPE },
  body: JSON.stringify(answer),
});
