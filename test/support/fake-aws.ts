import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { InMemoryAws } from './in-memory-aws.js';

export type { FakeObject } from './in-memory-aws.js';

type Item = Record<string, unknown>;

interface Fault {
  command: unknown;
  when: (input: Item) => boolean;
  error: Error;
  remaining: number;
}

/**
 * {@link InMemoryAws} behind aws-sdk-client-mock, for handler tests: every S3Client,
 * DynamoDBClient and DynamoDBDocumentClient created while installed answers from memory, and
 * faults can be injected per command.
 */
export function installFakeAws() {
  const s3 = mockClient(S3Client);
  const dynamodb = mockClient(DynamoDBClient);
  const documents = mockClient(DynamoDBDocumentClient);
  const memory = new InMemoryAws();
  const faults: Fault[] = [];
  /** Work run just before a log-table update is answered, to interleave another message's handling there. */
  const interleaved: { when: (input: Item) => boolean; action: () => Promise<void> }[] = [];
  const runInterleaved = async (input: Item) => {
    const index = interleaved.findIndex((entry) => entry.when(input));
    if (index < 0) return;
    const [entry] = interleaved.splice(index, 1);
    await entry?.action();
  };
  /** Throws the first matching injected fault for this command, if any. */
  const checkFaults = (command: unknown, input: Item) => {
    const fault = faults.find((f) => f.command === command && f.remaining > 0 && f.when(input));
    if (fault) {
      fault.remaining -= 1;
      throw fault.error;
    }
  };

  function install(): void {
    s3.on(HeadObjectCommand).callsFake(async (input) => {
      checkFaults(HeadObjectCommand, input);
      return memory.s3.headObject(input);
    });
    s3.on(GetObjectCommand).callsFake(async (input) => {
      checkFaults(GetObjectCommand, input);
      return memory.s3.getObject(input);
    });
    s3.on(CopyObjectCommand).callsFake(async (input) => {
      checkFaults(CopyObjectCommand, input);
      return memory.s3.copyObject(input);
    });
    s3.on(GetObjectTaggingCommand).callsFake(async (input) => {
      checkFaults(GetObjectTaggingCommand, input);
      return memory.s3.getObjectTagging(input);
    });
    s3.on(CreateMultipartUploadCommand).callsFake(async (input) => {
      checkFaults(CreateMultipartUploadCommand, input);
      return memory.s3.createMultipartUpload(input);
    });
    s3.on(UploadPartCopyCommand).callsFake(async (input) => {
      checkFaults(UploadPartCopyCommand, input);
      return memory.s3.uploadPartCopy(input);
    });
    s3.on(CompleteMultipartUploadCommand).callsFake(async (input) => {
      checkFaults(CompleteMultipartUploadCommand, input);
      return memory.s3.completeMultipartUpload(input);
    });
    s3.on(ListMultipartUploadsCommand).callsFake(async (input) => {
      checkFaults(ListMultipartUploadsCommand, input);
      return memory.s3.listMultipartUploads(input);
    });
    s3.on(ListPartsCommand).callsFake(async (input) => {
      checkFaults(ListPartsCommand, input);
      return memory.s3.listParts(input);
    });
    s3.on(AbortMultipartUploadCommand).callsFake(async (input) => {
      checkFaults(AbortMultipartUploadCommand, input);
      return memory.s3.abortMultipartUpload(input);
    });
    documents.on(PutCommand).callsFake(async (input) => {
      checkFaults(PutCommand, input);
      memory.putLogRow(input.Item as Item);
      return {};
    });
    documents.on(UpdateCommand).callsFake(async (input) => {
      checkFaults(UpdateCommand, input);
      await runInterleaved(input);
      return memory.updateLogItem(
        input.Key as Item,
        input.ExpressionAttributeValues as Item,
        input.ReturnValues as string | undefined,
      );
    });
    documents.on(QueryCommand).callsFake(async (input) => {
      checkFaults(QueryCommand, input);
      const values = input.ExpressionAttributeValues as Item;
      const rows = memory.rowsOfContent(String(values[':pk']), String(values[':eTag']));
      return { Items: rows, Count: rows.length };
    });
    dynamodb.on(PutItemCommand).callsFake(async (input) => {
      checkFaults(PutItemCommand, input);
      memory.putIdempotencyRecord(unmarshall(input.Item ?? {}));
      return {};
    });
    dynamodb.on(UpdateItemCommand).callsFake(async (input) => {
      checkFaults(UpdateItemCommand, input);
      memory.updateIdempotencyRecord(
        unmarshall(input.Key ?? {}),
        unmarshall(input.ExpressionAttributeValues ?? {}),
      );
      return {};
    });
    dynamodb.on(GetItemCommand).callsFake(async (input) => {
      checkFaults(GetItemCommand, input);
      const item = memory.idempotencyTable.get(String(unmarshall(input.Key ?? {}).id));
      return item ? { Item: marshall(item) } : {};
    });
    dynamodb.on(DeleteItemCommand).callsFake(async (input) => {
      checkFaults(DeleteItemCommand, input);
      memory.idempotencyTable.delete(String(unmarshall(input.Key ?? {}).id));
      return {};
    });
  }
  install();

  return {
    s3,
    dynamodb,
    documents,
    s3Memory: memory.s3,
    copies: memory.copies,
    logTable: memory.logTable,
    idempotencyTable: memory.idempotencyTable,
    putObject: memory.putObject.bind(memory),
    uploadRows: memory.uploadRows.bind(memory),
    stateOf: memory.stateOf.bind(memory),
    /**
     * Makes `command` fail with `error` when `when(input)` holds, `times` times (default: always).
     * Faults are checked before the fake's normal behaviour.
     */
    injectFault(
      command: unknown,
      when: (input: Item) => boolean,
      error: Error,
      times = Number.POSITIVE_INFINITY,
    ): void {
      faults.push({ command, when, error, remaining: times });
    },
    /**
     * Runs `action` once, just before the first log-table update (`UpdateCommand`) for which
     * `when(input)` holds is answered: another message handled in the middle of this one.
     */
    interleave(when: (input: Item) => boolean, action: () => Promise<void>): void {
      interleaved.push({ when, action });
    },
    /** Forgets every stored item, call and fault, and puts the default behaviour back. */
    reset(): void {
      for (const mock of [s3, dynamodb, documents]) mock.reset();
      memory.clear();
      faults.length = 0;
      interleaved.length = 0;
      install();
    },
    restore(): void {
      for (const mock of [s3, dynamodb, documents]) mock.restore();
    },
  };
}

/** What {@link installFakeAws} returns. */
export type FakeAws = ReturnType<typeof installFakeAws>;
