/** The publisher's variables: the topic's ARN, and the bus's name when the events go to a bus too. */
export const EVENTS_ENV = {
  topicArn: 'UPLOAD_EVENTS_TOPIC_ARN',
  busName: 'UPLOAD_EVENTS_BUS_NAME',
} as const;
