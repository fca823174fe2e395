import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * An SQS client for a function that sends to queue URLs from its environment. It sends to the
 * endpoint it resolves (the region's on AWS, `AWS_ENDPOINT_URL_SQS` where one is set), not to the
 * host inside the queue URL: on AWS the two are the same, and on the local stack the queue URL's
 * `sqs.<region>.localhost` host neither resolves everywhere nor passes the local front door that
 * checks each call against the function's role.
 */
export function functionSqsClient(): SQSClient {
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}
