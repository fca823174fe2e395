import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ObjectStore } from '../../src/adapters/object-store.js';
import type { UploadLog } from '../../src/adapters/upload-log.js';

type Item = Record<string, unknown>;

/** A stored object of the in-memory S3. */
export interface FakeObject {
  eTag: string;
  size: number;
  contentType?: string;
  metadata?: Record<string, string>;
}

function conditionFailed(item?: Item): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item && { Item: marshall(item, { removeUndefinedValues: true }) }),
  });
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

/**
 * In-memory S3 and DynamoDB with just the semantics the worker relies on: HeadObject and
 * CopyObject with If-Match, the upload row's conditional put, the state row's sequencer
 * condition, and Powertools' idempotency record life cycle. Items are plain (unmarshalled).
 */
export class InMemoryAws {
  readonly objects = new Map<string, FakeObject>();
  readonly copies = new Map<string, FakeObject>();
  readonly logTable = new Map<string, Item>();
  readonly idempotencyTable = new Map<string, Item>();

  /** @param idempotencyTableName - DynamoDB calls naming this table go to the idempotency store */
  constructor(readonly idempotencyTableName = 'idempotency') {}

  putObject(bucket: string, key: string, object: FakeObject): void {
    this.objects.set(`${bucket}/${key}`, object);
  }

  headObject(input: { Bucket?: string; Key?: string }) {
    const object = this.objects.get(`${input.Bucket}/${input.Key}`);
    if (!object) throw s3Error('NotFound', 404);
    return {
      ETag: `"${object.eTag}"`,
      ContentLength: object.size,
      ContentType: object.contentType,
      Metadata: object.metadata ?? {},
    };
  }

  copyObject(input: { Bucket?: string; Key?: string; CopySource?: string; CopySourceIfMatch?: string }) {
    const source = String(input.CopySource).split('?')[0] ?? '';
    const slash = source.indexOf('/');
    const object = this.objects.get(
      `${source.slice(0, slash)}/${decodeURIComponent(source.slice(slash + 1))}`,
    );
    if (!object) throw s3Error('NoSuchKey', 404);
    if (input.CopySourceIfMatch !== `"${object.eTag}"`) throw s3Error('PreconditionFailed', 412);
    this.copies.set(`${input.Bucket}/${input.Key}`, { ...object });
    return { CopyObjectResult: { ETag: `"${object.eTag}"` } };
  }

  /** PutItem on the log table: only the upload row's `attribute_not_exists(pk)` is used. */
  putLogRow(item: Item): void {
    const id = `${item.pk}|${item.sk}`;
    if (this.logTable.has(id)) throw conditionFailed();
    this.logTable.set(id, structuredClone(item));
  }

  /** UpdateItem on the log table: the state row, applied unless its stored sequencer is newer. */
  updateState(key: Item, values: Item): void {
    const id = `${key.pk}|${key.sk}`;
    const current = this.logTable.get(id);
    const incoming = String(values[':sequencerKey']);
    if (current && String(current.sequencerKey) > incoming) throw conditionFailed();
    const next: Item = { ...(current ?? key), status: values[':status'], sequencer: values[':sequencer'] };
    Object.assign(next, {
      sequencerKey: incoming,
      eventTime: values[':eventTime'],
      updatedAt: values[':updatedAt'],
    });
    for (const attribute of ['eTag', 'size', 'versionId']) {
      if (values[`:${attribute}`] === undefined) delete next[attribute];
      else next[attribute] = values[`:${attribute}`];
    }
    this.logTable.set(id, next);
  }

  /** Powertools' conditional save of an in-progress record. */
  putIdempotencyRecord(item: Item): void {
    const existing = this.idempotencyTable.get(String(item.id));
    const now = Date.now();
    const expired =
      existing &&
      (Number(existing.expiration) < now / 1000 ||
        (existing.status === 'INPROGRESS' && Number(existing.in_progress_expiration) < now));
    if (existing && !expired) throw conditionFailed(existing);
    this.idempotencyTable.set(String(item.id), item);
  }

  /** Powertools' completion of a record. */
  updateIdempotencyRecord(key: Item, values: Item): void {
    const id = String(key.id);
    const item = this.idempotencyTable.get(id) ?? { id };
    Object.assign(item, { status: values[':status'], expiration: values[':expiry'] });
    if (values[':response_data'] !== undefined) item.data = values[':response_data'];
    this.idempotencyTable.set(id, item);
  }

  uploadRows(): Item[] {
    return [...this.logTable.values()].filter((item) => item.sk !== 'STATE');
  }

  stateOf(bucket: string, key: string): Item | undefined {
    return this.logTable.get(`s3://${bucket}/${key}|STATE`);
  }

  clear(): void {
    for (const map of [this.objects, this.copies, this.logTable, this.idempotencyTable]) map.clear();
  }

  /**
   * Answers the clients' calls from memory: a middleware placed after serialization, so
   * marshalling and request serialization still run (their CPU counts),
   * without sinon's matching cost. For the benchmark.
   */
  attach(clients: { s3: S3Client; dynamodb: DynamoDBClient }): void {
    for (const client of [clients.s3, clients.dynamodb]) {
      (client.middlewareStack as { add: (mw: unknown, options: unknown) => void }).add(
        (_next: unknown, context: { commandName: string }) => async (args: { input: Item }) => ({
          output: { ...this.answer(context.commandName, args.input), $metadata: { httpStatusCode: 200 } },
          response: {},
        }),
        { step: 'build', priority: 'high', name: 'inMemoryAws' },
      );
    }
  }

  /**
   * Replaces the client's `send`, so commands are answered without any SDK middleware: for
   * measuring the worker's own cost (the Powertools persistence layer's client).
   */
  bindSend(client: DynamoDBClient): void {
    (client as { send: unknown }).send = async (command: { constructor: { name: string }; input: Item }) => ({
      ...this.answer(command.constructor.name, command.input),
      $metadata: { httpStatusCode: 200 },
    });
  }

  /** The worker's S3 port on this memory, bypassing the SDK. */
  objectStore(): ObjectStore {
    return {
      head: async (ref) => {
        const object = this.objects.get(`${ref.bucket}/${ref.key}`);
        return (
          object && {
            eTag: object.eTag,
            size: object.size,
            contentType: object.contentType,
            metadata: object.metadata ?? {},
          }
        );
      },
      copy: async (request) => {
        const object = this.objects.get(`${request.source.bucket}/${request.source.key}`);
        if (!object || object.eTag !== request.ifMatchETag) return 'source-changed';
        this.copies.set(`${request.destinationBucket}/${request.destinationKey}`, { ...object });
        return 'copied';
      },
    };
  }

  /** The worker's log port on this memory, bypassing the SDK. */
  uploadLog(): UploadLog {
    const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;
    return {
      putUploadRow: async (row) => {
        try {
          this.putLogRow(row as unknown as Item);
          return 'created';
        } catch (error) {
          if (isConditionFailure(error)) return 'exists';
          throw error;
        }
      },
      advanceState: async (change) => {
        const values: Item = {};
        for (const [name, value] of Object.entries(change)) values[`:${name}`] = value;
        try {
          this.updateState({ pk: change.pk, sk: 'STATE' }, values);
          return 'advanced';
        } catch (error) {
          if (isConditionFailure(error)) return 'stale';
          throw error;
        }
      },
    };
  }

  private answer(commandName: string, input: Item): Item {
    switch (commandName) {
      case 'HeadObjectCommand':
        return this.headObject(input);
      case 'CopyObjectCommand':
        return this.copyObject(input);
      case 'PutItemCommand': {
        const item = unmarshall(input.Item as never);
        if (input.TableName === this.idempotencyTableName) this.putIdempotencyRecord(item);
        else this.putLogRow(item);
        return {};
      }
      case 'UpdateItemCommand': {
        const key = unmarshall(input.Key as never);
        const values = unmarshall(input.ExpressionAttributeValues as never);
        if (input.TableName === this.idempotencyTableName) this.updateIdempotencyRecord(key, values);
        else this.updateState(key, values);
        return {};
      }
      case 'GetItemCommand': {
        const item = this.idempotencyTable.get(String(unmarshall(input.Key as never).id));
        return item ? { Item: marshall(item) } : {};
      }
      case 'DeleteItemCommand':
        this.idempotencyTable.delete(String(unmarshall(input.Key as never).id));
        return {};
      default:
        throw new Error(`in-memory AWS does not answer ${commandName}`);
    }
  }
}
