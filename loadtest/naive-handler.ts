import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** Row key of the baseline's rows: the common recipe keys each row on a random id. */
export const NAIVE_SK = 'NAIVE';

/**
 * The common recipe this project replaces, for comparison: one unconditional PutItem with a random
 * id per S3 record, no idempotency, no partial batch response (a bad body fails the whole batch).
 */
export function naiveHandler(dynamodb: DynamoDBClient, table: string) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    for (const record of event.Records) {
      const notification = JSON.parse(record.body) as {
        Records: {
          eventTime: string;
          s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
        }[];
      };
      for (const s3Record of notification.Records) {
        const { bucket, object } = s3Record.s3;
        await dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: randomUUID() },
              sk: { S: NAIVE_SK },
              bucket: { S: bucket.name },
              key: { S: decodeURIComponent(object.key.replace(/\+/g, ' ')) },
              eTag: { S: object.eTag ?? '' },
              size: { N: String(object.size ?? 0) },
              eventTime: { S: s3Record.eventTime },
              processedAt: { S: new Date().toISOString() },
            },
          }),
        );
      }
    }
    return { batchItemFailures: [] };
  };
}
