import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

interface Fault {
  command: unknown;
  when: (input: Record<string, unknown>) => boolean;
  error: Error;
  remaining: number;
}

/** A stored object of the fake S3. */
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
 * In-memory S3 and DynamoDB behind aws-sdk-client-mock, with just the semantics the worker
 * relies on: HeadObject/CopyObject with If-Match, conditional puts, the state row's sequencer
 * condition, and Powertools' idempotency record life cycle.
 */
export function installFakeAws() {
  const s3 = mockClient(S3Client);
  const dynamodb = mockClient(DynamoDBClient);
  const documents = mockClient(DynamoDBDocumentClient);
  const objects = new Map<string, FakeObject>();
  const copies = new Map<string, FakeObject>();
  const logTable = new Map<string, Item>();
  const idempotencyTable = new Map<string, Item>();
  const faults: Fault[] = [];
  /** Throws the first matching injected fault for this command, if any. */
  const checkFaults = (command: unknown, input: Record<string, unknown>) => {
    const fault = faults.find((f) => f.command === command && f.remaining > 0 && f.when(input));
    if (fault) {
      fault.remaining -= 1;
      throw fault.error;
    }
  };
  const objectId = (bucket: string | undefined, key: string | undefined) => `${bucket}/${key}`;
  const rowId = (key: Item | undefined) => `${key?.pk}|${key?.sk}`;

  function install(): void {
    s3.on(HeadObjectCommand).callsFake(async (input) => {
      checkFaults(HeadObjectCommand, input as Record<string, unknown>);
      const object = objects.get(objectId(input.Bucket, input.Key));
      if (!object) throw s3Error('NotFound', 404);
      return {
        ETag: `"${object.eTag}"`,
        ContentLength: object.size,
        ContentType: object.contentType,
        Metadata: object.metadata ?? {},
      };
    });
    s3.on(CopyObjectCommand).callsFake(async (input) => {
      checkFaults(CopyObjectCommand, input as Record<string, unknown>);
      const source = String(input.CopySource).split('?')[0] ?? '';
      const slash = source.indexOf('/');
      const object = objects.get(
        objectId(source.slice(0, slash), decodeURIComponent(source.slice(slash + 1))),
      );
      if (!object) throw s3Error('NoSuchKey', 404);
      if (input.CopySourceIfMatch !== `"${object.eTag}"`) throw s3Error('PreconditionFailed', 412);
      copies.set(objectId(input.Bucket, input.Key), { ...object });
      return { CopyObjectResult: { ETag: `"${object.eTag}"` } };
    });
    documents.on(PutCommand).callsFake(async (input) => {
      checkFaults(PutCommand, input as Record<string, unknown>);
      const item = input.Item as Item;
      if (logTable.has(rowId(item))) throw conditionFailed();
      logTable.set(rowId(item), structuredClone(item));
      return {};
    });
    documents.on(UpdateCommand).callsFake(async (input) => {
      checkFaults(UpdateCommand, input as Record<string, unknown>);
      const id = rowId(input.Key as Item);
      const values = input.ExpressionAttributeValues as Item;
      const current = logTable.get(id);
      const incoming = String(values[':sequencerKey']);
      if (current && String(current.sequencerKey) > incoming) throw conditionFailed();
      const next: Item = {
        ...(current ?? input.Key),
        status: values[':status'],
        sequencer: values[':sequencer'],
      };
      Object.assign(next, {
        sequencerKey: incoming,
        eventTime: values[':eventTime'],
        updatedAt: values[':updatedAt'],
      });
      for (const attribute of ['eTag', 'size', 'versionId']) {
        if (values[`:${attribute}`] === undefined) delete next[attribute];
        else next[attribute] = values[`:${attribute}`];
      }
      logTable.set(id, next);
      return {};
    });
    dynamodb.on(PutItemCommand).callsFake(async (input) => {
      checkFaults(PutItemCommand, input as Record<string, unknown>);
      const item = unmarshall(input.Item ?? {});
      const existing = idempotencyTable.get(String(item.id));
      const now = Date.now();
      const expired =
        existing &&
        (Number(existing.expiration) < now / 1000 ||
          (existing.status === 'INPROGRESS' && Number(existing.in_progress_expiration) < now));
      if (existing && !expired) throw conditionFailed(existing);
      idempotencyTable.set(String(item.id), item);
      return {};
    });
    dynamodb.on(UpdateItemCommand).callsFake(async (input) => {
      checkFaults(UpdateItemCommand, input as Record<string, unknown>);
      const id = String(unmarshall(input.Key ?? {}).id);
      const values = unmarshall(input.ExpressionAttributeValues ?? {});
      const item = idempotencyTable.get(id) ?? { id };
      Object.assign(item, { status: values[':status'], expiration: values[':expiry'] });
      if (values[':response_data'] !== undefined) item.data = values[':response_data'];
      idempotencyTable.set(id, item);
      return {};
    });
    dynamodb.on(GetItemCommand).callsFake(async (input) => {
      checkFaults(GetItemCommand, input as Record<string, unknown>);
      const item = idempotencyTable.get(String(unmarshall(input.Key ?? {}).id));
      return item ? { Item: marshall(item) } : {};
    });
    dynamodb.on(DeleteItemCommand).callsFake(async (input) => {
      checkFaults(DeleteItemCommand, input as Record<string, unknown>);
      idempotencyTable.delete(String(unmarshall(input.Key ?? {}).id));
      return {};
    });
  }
  install();

  return {
    s3,
    dynamodb,
    documents,
    objects,
    copies,
    logTable,
    idempotencyTable,
    /** Adds an object to the fake S3. */
    putObject(bucket: string, key: string, object: FakeObject): void {
      objects.set(objectId(bucket, key), object);
    },
    /** Upload rows (every row but state rows). */
    uploadRows(): Item[] {
      return [...logTable.values()].filter((item) => item.sk !== 'STATE');
    },
    stateOf(bucket: string, key: string): Item | undefined {
      return logTable.get(`s3://${bucket}/${key}|STATE`);
    },
    /**
     * Makes `command` fail with `error` when `when(input)` holds, `times` times (default: always).
     * Faults are checked before the fake's normal behaviour.
     */
    injectFault(
      command: unknown,
      when: (input: Record<string, unknown>) => boolean,
      error: Error,
      times = Number.POSITIVE_INFINITY,
    ): void {
      faults.push({ command, when, error, remaining: times });
    },
    /** Forgets every stored item and every call, and puts the default behaviour back. */
    reset(): void {
      for (const mock of [s3, dynamodb, documents]) mock.reset();
      for (const map of [objects, copies, logTable, idempotencyTable]) map.clear();
      faults.length = 0;
      install();
    },
    restore(): void {
      for (const mock of [s3, dynamodb, documents]) mock.restore();
    },
  };
}

/** What {@link installFakeAws} returns. */
export type FakeAws = ReturnType<typeof installFakeAws>;
