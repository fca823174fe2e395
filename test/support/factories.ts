import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { encodeS3EventKey } from '../../src/core/s3-key.js';

/** Options of one S3 notification record; `key` is the real key, encoded as S3 would. */
export interface S3RecordOptions {
  bucket?: string;
  key?: string;
  eTag?: string;
  size?: number;
  sequencer?: string;
  eventName?: string;
  eventTime?: string;
  versionId?: string;
  principalId?: string;
  sourceIp?: string;
}

/** One record of an S3 event notification, in AWS's shape. */
export function s3Record(options: S3RecordOptions = {}): Record<string, unknown> {
  const bucket = options.bucket ?? 'uploads';
  const eventName = options.eventName ?? 'ObjectCreated:Put';
  const removed = eventName.startsWith('ObjectRemoved:');
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: options.eventTime ?? '2026-11-24T10:00:00.000Z',
    eventName,
    userIdentity: { principalId: options.principalId ?? 'AWS:AIDAEXAMPLE' },
    requestParameters: { sourceIPAddress: options.sourceIp ?? '203.0.113.7' },
    responseElements: {
      'x-amz-request-id': 'C3D13FE58DE4C810',
      'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'ingest',
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
        arn: `arn:aws:s3:::${bucket}`,
      },
      object: {
        key: encodeS3EventKey(options.key ?? 'photos/cat.jpg'),
        ...(!removed && {
          size: options.size ?? 1024,
          eTag: options.eTag ?? 'd41d8cd98f00b204e9800998ecf8427e',
        }),
        ...(options.versionId !== undefined && { versionId: options.versionId }),
        sequencer: options.sequencer ?? '0055AED6DCD90281E5',
      },
    },
  };
}

/** An S3 event notification body holding the given records. */
export function s3Notification(...records: Record<string, unknown>[]): Record<string, unknown> {
  return { Records: records };
}

/** The same body wrapped by SNS, as an SQS subscription without raw delivery receives it. */
export function snsWrapped(body: unknown): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:uploads',
    Subject: 'Amazon S3 Notification',
    Message: JSON.stringify(body),
    Timestamp: '2026-11-24T10:00:01.000Z',
    SignatureVersion: '1',
  };
}

/** Options of an S3 event delivered by EventBridge. */
export interface EventBridgeOptions {
  detailType?: 'Object Created' | 'Object Deleted';
  bucket?: string;
  key?: string;
  eTag?: string;
  size?: number;
  sequencer?: string;
  versionId?: string;
  reason?: string;
  deletionType?: string;
  time?: string;
}

/** An S3 event as EventBridge delivers it (key not URL-encoded). */
export function eventBridgeEvent(options: EventBridgeOptions = {}): Record<string, unknown> {
  const detailType = options.detailType ?? 'Object Created';
  const bucket = options.bucket ?? 'uploads';
  const created = detailType === 'Object Created';
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '123456789012',
    time: options.time ?? '2026-11-24T10:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key: options.key ?? 'reports/q3 summary.pdf',
        ...(created && { size: options.size ?? 5, etag: options.eTag ?? 'b1946ac92492d2347c6235b4d2611184' }),
        ...(options.versionId !== undefined && { 'version-id': options.versionId }),
        sequencer: options.sequencer ?? '00617F08299329D189',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '198.51.100.4',
      reason: options.reason ?? (created ? 'PutObject' : 'DeleteObject'),
      ...(!created && { 'deletion-type': options.deletionType ?? 'Permanently Deleted' }),
    },
  };
}

/** The message S3 sends when a notification configuration is saved. */
export function s3TestEvent(bucket = 'uploads'): Record<string, unknown> {
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: '2026-11-24T09:59:00.000Z',
    Bucket: bucket,
    RequestId: '5582815E1AEA5ADF',
    HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
  };
}

/** An SQS record carrying `body` (objects are JSON-encoded). */
export function sqsRecord(body: unknown, overrides: Partial<SQSRecord> = {}): SQSRecord {
  return {
    messageId: overrides.messageId ?? randomUUID(),
    receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795946400000',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1795946400001',
    },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:ingest-queue',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

/** An SQS event holding the given records. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context with a working `getRemainingTimeInMillis`. */
export function lambdaContext(remainingMillis = 30_000): Context {
  const deadline = Date.now() + remainingMillis;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 's3-ingest-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:s3-ingest-worker',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/s3-ingest-worker',
    logStreamName: '2026/11/24/[$LATEST]abc',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
