import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_SK, type StateChange, type UploadRow } from '../core/log-items.js';

/** Writes to the upload log: the worker's only access to the log table. */
export interface UploadLog {
  /** Writes the row unless one with the same key exists. @returns `exists` for a duplicate */
  putUploadRow(row: UploadRow): Promise<'created' | 'exists'>;
  /** Applies the change only if its sequencer is not older than the stored one. @returns `stale` when older */
  advanceState(change: StateChange): Promise<'advanced' | 'stale'>;
}

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

  async putUploadRow(row: UploadRow): Promise<'created' | 'exists'> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: row,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'exists';
      throw error;
    }
  }

  async advanceState(change: StateChange): Promise<'advanced' | 'stale'> {
    const names: Record<string, string> = {
      '#status': 'status',
      '#sequencer': 'sequencer',
      '#sequencerKey': 'sequencerKey',
      '#eventTime': 'eventTime',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':status': change.status,
      ':sequencer': change.sequencer,
      ':sequencerKey': change.sequencerKey,
      ':eventTime': change.eventTime,
      ':updatedAt': change.updatedAt,
    };
    const sets = ['#status = :status', '#sequencer = :sequencer', '#sequencerKey = :sequencerKey'];
    sets.push('#eventTime = :eventTime', '#updatedAt = :updatedAt');
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
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: change.pk, sk: STATE_SK },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          // Equal sequencers are the same event delivered again: rewriting the same state is harmless,
          // and counting it as stale would be wrong.
          ConditionExpression: 'attribute_not_exists(#sequencerKey) OR #sequencerKey <= :sequencerKey',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'advanced';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'stale';
      throw error;
    }
  }
}
