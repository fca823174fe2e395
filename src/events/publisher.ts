import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  type LogChange,
  messageAttributesOf,
  type UploadEvent,
  uploadEventOf,
} from '../core/upload-events.js';

/** SNS takes at most 10 messages per PublishBatch. */
const PUBLISH_BATCH_SIZE = 10;

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

/** A stream record as the pure decision reads it: plain values instead of DynamoDB's attribute values. */
export function logChangeOf(record: DynamoDBRecord): LogChange | undefined {
  const eventName = record.eventName;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') return undefined;
  const image = (value: Image | undefined) =>
    value ? (unmarshall(value as Parameters<typeof unmarshall>[0]) as Record<string, unknown>) : undefined;
  const oldImage = image(record.dynamodb?.OldImage);
  const newImage = image(record.dynamodb?.NewImage);
  return { eventName, ...(oldImage && { oldImage }), ...(newImage && { newImage }) };
}

/** What the publisher needs. */
export interface PublisherDeps {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** The custom event bus the events also go to, when the stack has one (`eventBus: true`). */
  readonly bus?: { readonly client: EventBridgeClient; readonly name: string };
}

/** The `source` of the upload events on an event bus. */
export const EVENT_BUS_SOURCE = 's3-ingest';

/**
 * The upload events publisher: reads a batch of the upload log's stream, and publishes one event
 * per announced change to the topic, in stream order, with the message attributes subscribers
 * filter on, and to the event bus when there is one. When a publish fails, the answer names the first record not fully published, so the
 * event source retries from it (records before it are done; events after it that went out go out
 * again with the same id).
 */
export function createEventsPublisher(deps: PublisherDeps) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const pending: { event: UploadEvent; sequenceNumber: string }[] = [];
    for (const record of event.Records) {
      const change = logChangeOf(record);
      const announced = change && uploadEventOf(change);
      if (announced)
        pending.push({ event: announced, sequenceNumber: record.dynamodb?.SequenceNumber ?? '' });
    }
    for (let start = 0; start < pending.length; start += PUBLISH_BATCH_SIZE) {
      const chunk = pending.slice(start, start + PUBLISH_BATCH_SIZE);
      const events = chunk.map((entry) => entry.event);
      const [toTopic, toBus] = await Promise.all([
        publishChunk(deps, events).catch(() => 0),
        deps.bus ? putChunk(deps.bus, events).catch(() => 0) : undefined,
      ]);
      const failed = [toTopic, toBus].filter((index): index is number => index !== undefined);
      const failedAt = failed.length > 0 ? Math.min(...failed) : undefined;
      if (failedAt !== undefined) {
        return { batchItemFailures: [{ itemIdentifier: chunk[failedAt]?.sequenceNumber ?? '' }] };
      }
    }
    return { batchItemFailures: [] };
  };
}

/**
 * Puts up to 10 events on the bus, `detail-type` named after the event's type.
 * @returns the index of the first event the bus did not take, or undefined
 */
async function putChunk(
  bus: NonNullable<PublisherDeps['bus']>,
  events: readonly UploadEvent[],
): Promise<number | undefined> {
  const answer = await bus.client.send(
    new PutEventsCommand({
      Entries: events.map((event) => ({
        EventBusName: bus.name,
        Source: EVENT_BUS_SOURCE,
        DetailType: event.type,
        Detail: JSON.stringify(event),
        Time: new Date(event.time),
      })),
    }),
  );
  if (!answer.FailedEntryCount) return undefined;
  const index = (answer.Entries ?? []).findIndex((entry) => entry.ErrorCode !== undefined);
  return index >= 0 ? index : 0;
}

/** Publishes up to 10 events. @returns the index of the first event SNS did not take, or undefined */
async function publishChunk(
  deps: PublisherDeps,
  events: readonly UploadEvent[],
): Promise<number | undefined> {
  const answer = await deps.sns.send(
    new PublishBatchCommand({
      TopicArn: deps.topicArn,
      PublishBatchRequestEntries: events.map((event, index) => ({
        Id: String(index),
        Message: JSON.stringify(event),
        MessageAttributes: Object.fromEntries(
          Object.entries(messageAttributesOf(event)).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      })),
    }),
  );
  const failed = (answer.Failed ?? []).map((entry) => Number(entry.Id)).filter(Number.isInteger);
  return failed.length > 0 ? Math.min(...failed) : undefined;
}
