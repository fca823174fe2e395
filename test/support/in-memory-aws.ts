import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ObjectStore } from '../../src/adapters/object-store.js';
import { classifyCopyError } from '../../src/adapters/object-store.js';
import type { UploadLog } from '../../src/adapters/upload-log.js';
import { type FakeObject, InMemoryS3 } from './in-memory-s3.js';

export type { FakeObject } from './in-memory-s3.js';

type Item = Record<string, unknown>;

function conditionFailed(item?: Item): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item && { Item: marshall(item, { removeUndefinedValues: true }) }),
  });
}

/**
 * In-memory S3 and DynamoDB with just the semantics the worker relies on: HeadObject and
 * CopyObject with If-Match, the upload row's conditional put, the state row's sequencer
 * condition, and Powertools' idempotency record life cycle. Items are plain (unmarshalled).
 */
export class InMemoryAws {
  readonly s3 = new InMemoryS3();
  readonly copies = this.s3.copies;
  readonly logTable = new Map<string, Item>();
  readonly idempotencyTable = new Map<string, Item>();

  /** @param idempotencyTableName - DynamoDB calls naming this table go to the idempotency store */
  constructor(readonly idempotencyTableName = 'idempotency') {}

  /** PutObject on the in-memory S3. @returns the version id (`null` unless versioning is enabled) */
  putObject(bucket: string, key: string, object: FakeObject): string {
    return this.s3.putObject(bucket, key, object);
  }

  /**
   * PutItem on the log table: only the upload row's `attribute_not_exists(pk)` is used. The
   * failure carries the existing item, as `ReturnValuesOnConditionCheckFailure: ALL_OLD` does.
   */
  putLogRow(item: Item): void {
    const id = `${item.pk}|${item.sk}`;
    const existing = this.logTable.get(id);
    if (existing)
      throw Object.assign(conditionFailed(), { Item: marshall(existing, { removeUndefinedValues: true }) });
    this.logTable.set(id, structuredClone(item));
  }

  /**
   * UpdateItem on the log table's state row: the sequencer-conditioned advance (it sets `status`)
   * or the copy bookkeeping (`markCopied`, conditioned on the same sequencer).
   * @returns the old item, as `ReturnValues: ALL_OLD` does
   */
  updateState(key: Item, values: Item): Item | undefined {
    const id = `${key.pk}|${key.sk}`;
    const current = this.logTable.get(id);
    const incoming = String(values[':sequencerKey']);
    if (values[':status'] === undefined) {
      if (!current || current.sequencerKey !== incoming) throw conditionFailed();
      this.logTable.set(id, { ...current, copiedTo: values[':copiedTo'], copiedSequencerKey: incoming });
      return current;
    }
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
    if (values[':copiedTo'] !== undefined) {
      Object.assign(next, { copiedTo: values[':copiedTo'], copiedSequencerKey: incoming });
    }
    this.logTable.set(id, next);
    return current && structuredClone(current);
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

  /**
   * The worker's scan record on an upload row (`recordScan`): only on an existing row, only a
   * newer result; the failure carries the row when it exists. @returns the row after it
   */
  recordScanRow(scan: {
    pk: string;
    sk: string;
    scanStatus: string;
    scanResult: string;
    scanThreats: readonly string[];
    scannedAt: string;
    rejectReason?: string;
  }): Item {
    const id = `${scan.pk}|${scan.sk}`;
    const row = this.logTable.get(id);
    if (!row) throw conditionFailed();
    if (row.scannedAt !== undefined && String(row.scannedAt) >= scan.scannedAt) throw conditionFailed(row);
    const next: Item = {
      ...row,
      scanStatus: scan.scanStatus,
      scanResult: scan.scanResult,
      scanThreats: [...scan.scanThreats],
      scannedAt: scan.scannedAt,
      ...(scan.rejectReason !== undefined && { status: 'REJECTED', reason: scan.rejectReason }),
    };
    this.logTable.set(id, next);
    return structuredClone(next);
  }

  /**
   * UpdateItem on the log table, told apart by its values: a scan record (`:scannedAt`), the copy
   * bookkeeping on a state row holding an eTag (`:present`), or the state row's advance and copy
   * bookkeeping by sequencer. @returns the attributes the call asked to return (plain)
   */
  updateLogItem(key: Item, values: Item, returnValues?: string): { Attributes?: Item } {
    if (values[':scannedAt'] !== undefined) {
      const row = this.recordScanRow({
        pk: String(key.pk),
        sk: String(key.sk),
        scanStatus: String(values[':scanStatus']),
        scanResult: String(values[':scanResult']),
        scanThreats: values[':scanThreats'] as string[],
        scannedAt: String(values[':scannedAt']),
        ...(values[':reason'] !== undefined && { rejectReason: String(values[':reason']) }),
      });
      return { Attributes: row };
    }
    if (values[':present'] !== undefined) {
      if (!this.markCopiedIfCurrent(String(key.pk), String(values[':eTag']), String(values[':copiedTo'])))
        throw conditionFailed();
      return {};
    }
    const old = this.updateState(key, values);
    return old && returnValues === 'ALL_OLD' ? { Attributes: old } : {};
  }

  /** The upload rows of one content (`rowsOfContent`). */
  rowsOfContent(
    pk: string,
    eTag: string,
  ): { sk: string; status?: string; scanStatus?: string; scanResult?: string }[] {
    return [...this.logTable.values()]
      .filter((item) => item.pk === pk && (item.sk === eTag || String(item.sk).startsWith(`${eTag}#`)))
      .map((item) => ({
        sk: String(item.sk),
        ...(item.status !== undefined && { status: String(item.status) }),
        ...(item.scanStatus !== undefined && { scanStatus: String(item.scanStatus) }),
        ...(item.scanResult !== undefined && { scanResult: String(item.scanResult) }),
      }));
  }

  /** The copy bookkeeping on a state row that still holds `eTag` (`markCopiedIfCurrent`). */
  markCopiedIfCurrent(pk: string, eTag: string, copiedTo: string): boolean {
    const id = `${pk}|STATE`;
    const state = this.logTable.get(id);
    if (!state || state.eTag !== eTag || state.status !== 'PRESENT') return false;
    this.logTable.set(id, { ...state, copiedTo, copiedSequencerKey: state.sequencerKey });
    return true;
  }

  uploadRows(): Item[] {
    return [...this.logTable.values()].filter((item) => item.sk !== 'STATE');
  }

  stateOf(bucket: string, key: string): Item | undefined {
    return this.logTable.get(`s3://${bucket}/${key}|STATE`);
  }

  clear(): void {
    this.s3.clear();
    for (const map of [this.logTable, this.idempotencyTable]) map.clear();
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

  /** The worker's S3 port on this memory, bypassing the SDK (single-part copies only). */
  objectStore(): ObjectStore {
    return {
      head: async (ref) => {
        const head = this.headOrUndefined(ref);
        return (
          head && {
            eTag: head.ETag.replace(/"/g, ''),
            size: head.ContentLength,
            ...(head.ContentType !== undefined && { contentType: head.ContentType }),
            ...(head.VersionId !== undefined && head.VersionId !== 'null' && { versionId: head.VersionId }),
            metadata: head.Metadata,
          }
        );
      },
      readStart: async (ref, length) => {
        try {
          const answer = this.s3.getObject({
            Bucket: ref.bucket,
            Key: ref.key,
            ...(ref.versionId !== undefined
              ? { VersionId: ref.versionId }
              : ref.ifMatchETag !== undefined && { IfMatch: `"${ref.ifMatchETag}"` }),
            Range: `bytes=0-${length - 1}`,
          });
          return { bytes: await answer.Body.transformToByteArray() };
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status === 416) return { bytes: new Uint8Array() };
          if (status === 412) return { unavailable: 'changed' };
          if (status === 404 || status === 405) return { unavailable: 'gone' };
          if (status === 403) return { unavailable: 'archived' };
          throw error;
        }
      },
      tagsOf: async (ref) => {
        try {
          if (ref.versionId === undefined && ref.ifMatchETag !== undefined)
            this.s3.headObject({ Bucket: ref.bucket, Key: ref.key, IfMatch: `"${ref.ifMatchETag}"` });
          const { TagSet } = this.s3.getObjectTagging({
            Bucket: ref.bucket,
            Key: ref.key,
            ...(ref.versionId !== undefined && { VersionId: ref.versionId }),
          });
          return Object.fromEntries(TagSet.map((tag) => [tag.Key, tag.Value]));
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status === 404 || status === 405 || status === 412) return 'gone';
          throw error;
        }
      },
      copy: async (request) => {
        try {
          this.s3.copyObject({
            Bucket: request.destinationBucket,
            Key: request.destinationKey,
            CopySource: `${request.source.bucket}/${encodeURIComponent(request.source.key)}`,
            CopySourceIfMatch: `"${request.ifMatchETag}"`,
          });
          return 'copied';
        } catch (error) {
          const result = classifyCopyError(error);
          if (result) return result;
          throw error;
        }
      },
    };
  }

  private headOrUndefined(ref: { bucket: string; key: string; versionId?: string }) {
    try {
      return this.s3.headObject({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId });
    } catch {
      return undefined;
    }
  }

  /** The worker's log port on this memory, bypassing the SDK. */
  uploadLog(): UploadLog {
    const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;
    return {
      putUploadRow: async (row) => {
        try {
          this.putLogRow(row as unknown as Item);
          return { created: true };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          const writtenBy = this.logTable.get(`${row.pk}|${row.sk}`)?.messageId;
          return { created: false, ...(typeof writtenBy === 'string' && { writtenBy }) };
        }
      },
      recordScan: async (scan) => {
        try {
          return { outcome: 'recorded', row: this.recordScanRow(scan) };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          return { outcome: (error as { Item?: unknown }).Item ? 'unchanged' : 'missing' };
        }
      },
      rowsOfContent: async (pk, eTag) => this.rowsOfContent(pk, eTag),
      markCopiedIfCurrent: async (pk, eTag, copiedTo) => this.markCopiedIfCurrent(pk, eTag, copiedTo),
      advanceState: async (change) => {
        const values: Item = {};
        for (const [name, value] of Object.entries(change)) values[`:${name}`] = value;
        try {
          const old = this.updateState({ pk: change.pk, sk: 'STATE' }, values);
          const previous = {
            ...(old?.sequencerKey !== undefined && { sequencerKey: String(old.sequencerKey) }),
            ...(old?.copiedSequencerKey !== undefined && {
              copiedSequencerKey: String(old.copiedSequencerKey),
            }),
          };
          return {
            outcome: previous.sequencerKey === change.sequencerKey ? 'unchanged' : 'advanced',
            previous,
          };
        } catch (error) {
          if (isConditionFailure(error)) return { outcome: 'stale' };
          throw error;
        }
      },
      markCopied: async (pk, sequencerKey, copiedTo) => {
        try {
          this.updateState({ pk, sk: 'STATE' }, { ':sequencerKey': sequencerKey, ':copiedTo': copiedTo });
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      },
    };
  }

  private answer(commandName: string, input: Item): Item {
    switch (commandName) {
      case 'HeadObjectCommand':
        return this.s3.headObject(input);
      case 'GetObjectCommand':
        return this.s3.getObject(input);
      case 'CopyObjectCommand':
        return this.s3.copyObject(input);
      case 'GetObjectTaggingCommand':
        return this.s3.getObjectTagging(input);
      case 'PutItemCommand': {
        const item = unmarshall(input.Item as never);
        if (input.TableName === this.idempotencyTableName) this.putIdempotencyRecord(item);
        else this.putLogRow(item);
        return {};
      }
      case 'UpdateItemCommand': {
        const key = unmarshall(input.Key as never);
        const values = unmarshall(input.ExpressionAttributeValues as never);
        if (input.TableName === this.idempotencyTableName) {
          this.updateIdempotencyRecord(key, values);
          return {};
        }
        const { Attributes } = this.updateLogItem(key, values, input.ReturnValues as string | undefined);
        return Attributes ? { Attributes: marshall(Attributes, { removeUndefinedValues: true }) } : {};
      }
      case 'QueryCommand': {
        const values = unmarshall(input.ExpressionAttributeValues as never);
        const rows = this.rowsOfContent(String(values[':pk']), String(values[':eTag']));
        return { Items: rows.map((row) => marshall(row)), Count: rows.length };
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
