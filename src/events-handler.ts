import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { createEventsPublisher } from './events/publisher.js';

// The upload events publisher's Lambda entry point (wiring only): the upload log's stream in,
// the upload events topic out.

const topicArn = process.env.UPLOAD_EVENTS_TOPIC_ARN;
if (!topicArn) throw new Error('UPLOAD_EVENTS_TOPIC_ARN is not set');

const busName = process.env.UPLOAD_EVENTS_BUS_NAME;

export const handler = createEventsPublisher({
  sns: new SNSClient({}),
  topicArn,
  ...(busName && { bus: { client: new EventBridgeClient({}), name: busName } }),
});
