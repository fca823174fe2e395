import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type PreviousState,
  STATE_SK,
  type StateChange,
  type StateOutcome,
  type UploadRow,
} from '../core/log-items.js';
import type { RowScan, ScanResultStatus, ScanStatus } from '../core/scan-result.js';

/** What applying a state change did, and the copy bookkeeping the row held before it. */
export interface StateResult {
  readonly outcome: StateOutcome;
  readonly previous?: PreviousState;
}

/** Writes to the upload log: the worker's only access to the log table. */
export interface UploadLog {
  /** Writes the row unless one with the same key exists. @returns `exists` for a duplicate */
  /**
   * Writes the row unless one exists for the same content; for an existing row, says which
   * message wrote it (when the row records it).
   */
  putUploadRow(row: UploadRow): Promise<PutRowResult>;
  /**
   * Applies the change only if its sequencer is not older than the stored one: `stale` when
   * older, `unchanged` when it is the stored event again, `advanced` when newer.
   */
  advanceState(change: StateChange): Promise<StateResult>;
  /**
   * Records that the content of the state with `sequencerKey` was copied to `copiedTo`, unless
   * the state row has moved on to a newer event meanwhile.
   */
  markCopied(pk: string, sequencerKey: string, copiedTo: string): Promise<void>;
  /**
   * Records a malware scan result on the upload row of exactly the scanned version, and for an
   * infected one makes the row `REJECTED` with `reason`. A result no newer than the one recorded
   * changes nothing (`unchanged`); `missing` when the row is not written yet.
   */
  recordScan(scan: ScanRecord): Promise<ScanRecordResult>;
  /** The upload rows of one content of an object (every version with that eTag), with their scans. */
  rowsOfContent(pk: string, eTag: string): Promise<RowScan[]>;
  /** Records a copy on the state row while it still holds the content `eTag`. */
  markCopiedIfCurrent(pk: string, eTag: string, copiedTo: string): Promise<boolean>;
}

/** A scan result to record on an upload row. */
export interface ScanRecord {
  readonly pk: string;
  readonly sk: string;
  readonly scanStatus: ScanStatus;
  readonly scanResult: ScanResultStatus;
  readonly scanThreats: readonly string[];
  readonly scannedAt: string;
  /** For malware: the row becomes `REJECTED` with this reason. */
  readonly rejectReason?: string;
}

/** What recording a scan did; the row after it when it was recorded. */
export type ScanRecordResult =
  | { readonly outcome: 'recorded'; readonly row: Readonly<Record<string, unknown>> }
  | { readonly outcome: 'unchanged' | 'missing' };

/** What a conditional put of an upload row did. */
export type PutRowResult =
  | { readonly created: true }
  | {
      readonly created: false /** The message whose handling wrote the existing row. */;
      readonly writtenBy?: string;
    };

/** State-row attributes that a removal clears because a deleted object has none. */
const CONTENT_ATTRIBUTES = ['eTag', 'size', 'versionId'] as const;

/** {@link UploadLog} on a DynamoDB table with `pk`/`sk` keys. */
export class DynamoDbUploadLog implements UploadLog {
  readonly #documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.#documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async putUploadRow(row: UploadRow): Promise<PutRowResult> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: row,
          ConditionExpression: 'attribute_not_exists(pk)',
          // The existing row comes back with the failure, at no extra cost: who wrote it.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const writtenBy = error.Item?.messageId?.S;
      return { created: false, ...(writtenBy !== undefined && { writtenBy }) };
    }
  }

  async advanceState(change: StateChange): Promise<StateResult> {
    const names: Record<string, string> = {
      '#status': 'status',
      '#sequencer': 'sequencer',
      '#sequencerKey': 'sequencerKey',
      '#eventName': 'eventName',
      '#eventTime': 'eventTime',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':status': change.status,
      ':sequencer': change.sequencer,
      ':sequencerKey': change.sequencerKey,
      ':eventName': change.eventName,
      ':eventTime': change.eventTime,
      ':updatedAt': change.updatedAt,
    };
    const sets = ['#status = :status', '#sequencer = :sequencer', '#sequencerKey = :sequencerKey'];
    sets.push('#eventName = :eventName', '#eventTime = :eventTime', '#updatedAt = :updatedAt');
    const removes: string[] = [];
    for (const attribute of CONTENT_ATTRIBUTES) {
      names[`#${attribute}`] = attribute;
      const value = change[attribute];
      if (value === undefined) {
        removes.push(`#${attribute}`);
      } else {
        values[`:${attribute}`] = value;
        sets.push(`#${attribute} = :${attribute}`);
      }
    }
    if (change.copiedTo !== undefined) {
      // The copy was made for this very state: later deliveries find it up to date.
      Object.assign(names, { '#copiedTo': 'copiedTo', '#copiedSequencerKey': 'copiedSequencerKey' });
      values[':copiedTo'] = change.copiedTo;
      sets.push('#copiedTo = :copiedTo', '#copiedSequencerKey = :sequencerKey');
    }
    try {
      const answer = await this.#documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: change.pk, sk: STATE_SK },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          // Equal sequencers are the same event delivered again: rewriting the same state is harmless,
          // and counting it as stale would be wrong.
          ConditionExpression: 'attribute_not_exists(#sequencerKey) OR #sequencerKey <= :sequencerKey',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          // The old row, at no extra cost: it tells a redelivery from a newer event, and whether
          // the stored state's copy was made.
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = answer.Attributes ?? {};
      const previous: PreviousState = {
        ...(typeof old.sequencerKey === 'string' && { sequencerKey: old.sequencerKey }),
        ...(typeof old.copiedSequencerKey === 'string' && { copiedSequencerKey: old.copiedSequencerKey }),
      };
      return { outcome: previous.sequencerKey === change.sequencerKey ? 'unchanged' : 'advanced', previous };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { outcome: 'stale' };
      throw error;
    }
  }

  async recordScan(scan: ScanRecord): Promise<ScanRecordResult> {
    const names: Record<string, string> = {
      '#pk': 'pk',
      '#scanStatus': 'scanStatus',
      '#scanResult': 'scanResult',
      '#scanThreats': 'scanThreats',
      '#scannedAt': 'scannedAt',
    };
    const values: Record<string, unknown> = {
      ':scanStatus': scan.scanStatus,
      ':scanResult': scan.scanResult,
      ':scanThreats': [...scan.scanThreats],
      ':scannedAt': scan.scannedAt,
    };
    let update =
      'SET #scanStatus = :scanStatus, #scanResult = :scanResult, #scanThreats = :scanThreats, #scannedAt = :scannedAt';
    if (scan.rejectReason !== undefined) {
      Object.assign(names, { '#status': 'status', '#reason': 'reason' });
      Object.assign(values, { ':rejected': 'REJECTED', ':reason': scan.rejectReason });
      update += ', #status = :rejected, #reason = :reason';
    }
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: scan.pk, sk: scan.sk },
          UpdateExpression: update,
          // A re-scan of the same version replaces an older result; the same result again changes nothing.
          ConditionExpression:
            'attribute_exists(#pk) AND (attribute_not_exists(#scannedAt) OR #scannedAt < :scannedAt)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'recorded', row: Attributes ?? {} };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { outcome: error.Item ? 'unchanged' : 'missing' };
      throw error;
    }
  }

  async rowsOfContent(pk: string, eTag: string): Promise<RowScan[]> {
    const rows: RowScan[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :eTag)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#status': 'status' },
          ExpressionAttributeValues: { ':pk': pk, ':eTag': eTag },
          ProjectionExpression: '#sk, #status, scanStatus, scanResult',
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      for (const item of (page.Items ?? []) as RowScan[]) {
        // `begins_with` also matches a longer eTag (a multipart `...-1` against `...-12`).
        if (item.sk === eTag || item.sk.startsWith(`${eTag}#`)) rows.push(item);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return rows;
  }

  async markCopiedIfCurrent(pk: string, eTag: string, copiedTo: string): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: STATE_SK },
          UpdateExpression: 'SET #copiedTo = :copiedTo, #copiedSequencerKey = #sequencerKey',
          ConditionExpression: '#eTag = :eTag AND #status = :present',
          ExpressionAttributeNames: {
            '#copiedTo': 'copiedTo',
            '#copiedSequencerKey': 'copiedSequencerKey',
            '#sequencerKey': 'sequencerKey',
            '#eTag': 'eTag',
            '#status': 'status',
          },
          ExpressionAttributeValues: { ':copiedTo': copiedTo, ':eTag': eTag, ':present': 'PRESENT' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markCopied(pk: string, sequencerKey: string, copiedTo: string): Promise<void> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: STATE_SK },
          UpdateExpression: 'SET #copiedTo = :copiedTo, #copiedSequencerKey = :sequencerKey',
          ConditionExpression: '#sequencerKey = :sequencerKey',
          ExpressionAttributeNames: {
            '#copiedTo': 'copiedTo',
            '#copiedSequencerKey': 'copiedSequencerKey',
            '#sequencerKey': 'sequencerKey',
          },
          ExpressionAttributeValues: { ':copiedTo': copiedTo, ':sequencerKey': sequencerKey },
        }),
      );
    } catch (error) {
      // A newer event owns the state row now; its own handling brings the copy up to date.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }
}
