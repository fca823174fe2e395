import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStateChange, buildUploadRow, STATE_SK } from '../../src/core/log-items.js';
import type { CreatedObjectEvent } from '../../src/core/types.js';
import { createEventsPublisher } from '../../src/events/publisher.js';

// The publisher on the stream's record shape, with SNS mocked: what it publishes, in which order,
// with which attributes, and where the event source resumes when a publish fails.

const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
afterEach(() => {
  sns.reset();
  events.reset();
});
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:upload-events';
const publish = createEventsPublisher({ sns: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

const created = (key: string): CreatedObjectEvent => ({
  kind: 'created',
  bucket: 'uploads',
  key,
  eTag: `etag-${key}`,
  size: 3,
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-12-07T10:00:00.000Z',
  sequencer: '0055AED6DCD90281E5',
});
let sequence = 100;
const nextSequenceNumber = () => {
  sequence += 1;
  return String(sequence);
};
const record = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  newImage?: object,
  oldImage?: object,
): DynamoDBRecord => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: nextSequenceNumber(),
    ...(newImage && { NewImage: marshall(newImage, { removeUndefinedValues: true }) as never }),
    ...(oldImage && { OldImage: marshall(oldImage, { removeUndefinedValues: true }) as never }),
  },
});
const uploadInsert = (key: string) =>
  record(
    'INSERT',
    buildUploadRow(created(key), { status: 'STORED', contentType: 'text/plain' }, 0, { gsiShardCount: 8 }),
  );
const stateOf = (event: Parameters<typeof buildStateChange>[0]) => {
  const { pk, ...change } = buildStateChange(event, 0);
  return { pk, sk: STATE_SK, ...change };
};
const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
const published = () =>
  sns
    .commandCalls(PublishBatchCommand)
    .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);

describe('the upload events publisher', () => {
  it('publishes each announced change once, in stream order, with its attributes', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const removal = {
      kind: 'removed' as const,
      bucket: 'uploads',
      key: 'a.txt',
      eventName: 'ObjectRemoved:Delete',
      eventTime: '2026-12-07T10:01:00.000Z',
      sequencer: '0055AED6DCD90281F0',
    };
    const answer = await publish(
      streamEvent(
        uploadInsert('a.txt'),
        record('INSERT', stateOf(created('a.txt'))),
        record('MODIFY', stateOf(removal), stateOf(created('a.txt'))),
        record(
          'REMOVE',
          undefined,
          buildUploadRow(created('old.txt'), { status: 'STORED' }, 0, { gsiShardCount: 8 }),
        ),
      ),
    );
    expect(answer.batchItemFailures).toEqual([]);
    const entries = published();
    expect(entries.map((entry) => JSON.parse(entry.Message ?? '{}').type)).toEqual([
      'upload.recorded',
      'object.removed',
    ]);
    expect(entries[0]?.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'upload.recorded' },
      bucket: { DataType: 'String', StringValue: 'uploads' },
      status: { DataType: 'String', StringValue: 'STORED' },
      contentType: { DataType: 'String', StringValue: 'text/plain' },
      extension: { DataType: 'String', StringValue: 'txt' },
    });
    expect(sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.TopicArn).toBe(TOPIC);
  });

  it('publishes in batches of ten (SNS’s limit)', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const records = Array.from({ length: 23 }, (_, index) => uploadInsert(`k${index}.txt`));
    expect((await publish(streamEvent(...records))).batchItemFailures).toEqual([]);
    expect(
      sns
        .commandCalls(PublishBatchCommand)
        .map((call) => call.args[0].input.PublishBatchRequestEntries?.length),
    ).toEqual([10, 10, 3]);
  });

  it('resumes from the first record SNS did not take, and the retry carries the same ids', async () => {
    const records = Array.from({ length: 12 }, (_, index) => uploadInsert(`k${index}.txt`));
    sns
      .on(PublishBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false }] });
    const answer = await publish(streamEvent(...records));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: records[3]?.dynamodb?.SequenceNumber }]);
    const firstIds = published().map((entry) => JSON.parse(entry.Message ?? '{}').id);
    // Lambda delivers the batch again from that record.
    sns.reset();
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    expect((await publish(streamEvent(...records.slice(3)))).batchItemFailures).toEqual([]);
    const retriedIds = published().map((entry) => JSON.parse(entry.Message ?? '{}').id);
    expect(retriedIds.slice(0, 7)).toEqual(firstIds.slice(3, 10));
  });

  it('resumes from the first record of a batch whose publish failed outright', async () => {
    const records = Array.from({ length: 12 }, (_, index) => uploadInsert(`k${index}.txt`));
    sns
      .on(PublishBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [] })
      .rejects(new Error('socket hang up'));
    const answer = await publish(streamEvent(...records));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: records[10]?.dynamodb?.SequenceNumber }]);
  });

  it('puts each event on the bus too, detail-type named after its type, and resumes from a bus failure', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }, { EventId: 'c' }],
    });
    const withBus = createEventsPublisher({
      sns: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
      bus: { client: new EventBridgeClient({ region: 'eu-west-1' }), name: 'uploads-bus' },
    });
    const records = [uploadInsert('b1.txt'), uploadInsert('b2.txt'), uploadInsert('b3.txt')];
    const answer = await withBus(streamEvent(...records));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    const entries = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((entry) => [entry.EventBusName, entry.Source, entry.DetailType])).toEqual([
      ['uploads-bus', 's3-ingest', 'upload.recorded'],
      ['uploads-bus', 's3-ingest', 'upload.recorded'],
      ['uploads-bus', 's3-ingest', 'upload.recorded'],
    ]);
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({ key: 'b1.txt', schemaVersion: 1 });
  });
});
