import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { EVENTS_ENV } from './events/events-env.js';
import { createEventsPublisher } from './events/publisher.js';

// The upload events publisher's Lambda entry point (wiring only): the upload log's stream in,
// the upload events topic out.

const topicArn = process.env[EVENTS_ENV.topicArn];
if (!topicArn) throw new Error(`${EVENTS_ENV.topicArn} is not set`);

const busName = process.env[EVENTS_ENV.busName];

export const handler = createEventsPublisher({
  sns: new SNSClient({}),
  topicArn,
  ...(busName && { bus: { client: new EventBridgeClient({}), name: busName } }),
});
