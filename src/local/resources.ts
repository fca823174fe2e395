import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BY_BUCKET_DAY_INDEX } from '../core/log-items.js';

/** Names of everything the local stack creates. */
export interface LocalResourceNames {
  readonly uploadsBucket: string;
  readonly copyDestinationBucket: string;
  readonly ingestQueue: string;
  readonly dlq: string;
  readonly uploadLogTable: string;
  readonly idempotencyTable: string;
  /** The SNS topic of the upload events. */
  readonly uploadEventsTopic: string;
}

/** The defaults, as `npm start` creates them. */
export const DEFAULT_RESOURCE_NAMES: LocalResourceNames = Object.freeze({
  uploadsBucket: 'uploads',
  copyDestinationBucket: 'uploads-private',
  ingestQueue: 'ingest-queue',
  dlq: 'ingest-dlq',
  uploadLogTable: 'upload-log',
  idempotencyTable: 'idempotency',
  uploadEventsTopic: 'upload-events',
});

/** A queue as the tools need it. */
export interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

/** Creates both buckets. */
export async function createBuckets(s3: S3Client, names: LocalResourceNames): Promise<void> {
  for (const bucket of [names.uploadsBucket, names.copyDestinationBucket]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** Creates the DLQ, then the ingest queue redriving to it after `maxReceiveCount` receives. */
export async function createQueues(
  sqs: SQSClient,
  names: LocalResourceNames,
  settings: {
    visibilityTimeoutSeconds: number;
    maxReceiveCount: number;
    /** @default 4 days, as the stack's */
    retentionSeconds?: number;
    /** @default 14 days, as the stack's */
    dlqRetentionSeconds?: number;
  },
): Promise<{ ingest: QueueRef; dlq: QueueRef }> {
  const dlq = await createQueue(sqs, names.dlq, {
    MessageRetentionPeriod: String(settings.dlqRetentionSeconds ?? 14 * 86_400),
  });
  const ingest = await createQueue(sqs, names.ingestQueue, {
    MessageRetentionPeriod: String(settings.retentionSeconds ?? 4 * 86_400),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: settings.maxReceiveCount,
    }),
  });
  return { ingest, dlq };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<QueueRef> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
}

/**
 * Creates the upload log (pk/sk, the `byBucketDay` index, TTL on `expiresAt`) and the
 * idempotency table (`id`, TTL on `expiration`) with the deployed key schema.
 *
 * @returns whether TTL could be enabled (dynalite has no TTL API; DynamoDB Local has)
 */
export async function createTables(
  dynamodb: DynamoDBClient,
  names: LocalResourceNames,
  options: { stream?: boolean } = {},
): Promise<{ ttl: boolean }> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: names.uploadLogTable,
      BillingMode: 'PAY_PER_REQUEST',
      // The stack's outbox of upload events (DynamoDB Local's stream, or the one kept in front of dynalite).
      ...(options.stream && {
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_BUCKET_DAY_INDEX,
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: names.idempotencyTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  for (const TableName of [names.uploadLogTable, names.idempotencyTable]) {
    await waitUntilTableExists(
      { client: dynamodb, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.5 },
      { TableName },
    );
  }
  try {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: names.uploadLogTable,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: names.idempotencyTable,
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
    );
    return { ttl: true };
  } catch (error) {
    if ((error as { name?: string }).name === 'UnknownOperationException') return { ttl: false };
    throw error;
  }
}
