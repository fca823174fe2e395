import { randomBytes } from 'node:crypto';
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { UploadEvent } from '../core/upload-events.js';
import { localCredentials } from '../local/stack.js';
import type { ToolTarget } from './target.js';
import { UsageError } from './tool-error.js';

/** Why a target has no upload events to read (and how to get them), or undefined when it has them. */
export function missingUploadEvents(target: ToolTarget): string | undefined {
  if (target.uploadEventsTopic) return undefined;
  return target.kind === 'local'
    ? `the local stack ${target.label} publishes no upload events (it was started without them): \`npm start\` runs them`
    : `stack ${target.label} has no UploadEventsTopicArn output: deploy this version of s3-ingest`;
}

/** An SNS client for a target's upload events topic: the embedded SNS locally, AWS's otherwise. */
export function snsClientFor(target: ToolTarget): SNSClient {
  return new SNSClient({
    region: target.region,
    ...(target.kind === 'local' && { endpoint: target.snsEndpoint, credentials: localCredentials() }),
  });
}

/** The message attributes an upload event carries, which `--filter` may name. */
export const EVENT_FILTER_ATTRIBUTES = ['type', 'bucket', 'status', 'contentType', 'extension'] as const;

/**
 * An SNS filter policy from `NAME=VALUE[,VALUE...]` expressions: each named attribute must have one
 * of its values; all named attributes must match.
 *
 * @throws {UsageError} for an attribute events do not carry, or an expression without a value
 */
export function parseEventFilters(expressions: readonly string[]): Record<string, string[]> {
  const policy: Record<string, string[]> = {};
  for (const expression of expressions) {
    const [name = '', ...rest] = expression.split('=');
    const values = rest
      .join('=')
      .split(',')
      .map((value) => value.trim())
      .filter((value) => value !== '');
    if (!(EVENT_FILTER_ATTRIBUTES as readonly string[]).includes(name)) {
      throw new UsageError(
        `--filter ${name || expression}: events carry ${EVENT_FILTER_ATTRIBUTES.join(', ')}`,
      );
    }
    if (values.length === 0) throw new UsageError(`--filter ${name} needs a value: ${name}=VALUE[,VALUE...]`);
    policy[name] = [...(policy[name] ?? []), ...values];
  }
  return policy;
}

/** A queue subscribed to the topic for as long as a tail runs. */
interface Subscription {
  readonly queueUrl: string;
  readonly subscriptionArn: string;
}

async function subscribe(
  clients: { sqs: SQSClient; sns: SNSClient },
  topicArn: string,
  filterPolicy: Record<string, string[]>,
): Promise<Subscription> {
  const name = `s3-ingest-tail-${randomBytes(6).toString('hex')}`;
  const { QueueUrl } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '3600' },
    }),
  );
  if (!QueueUrl) throw new Error('the temporary queue was not created');
  try {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn ?? '';
    // Only this topic may send to the queue, and only over TLS.
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'sns.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
              },
            ],
          }),
        },
      }),
    );
    const { SubscriptionArn } = await clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        ReturnSubscriptionArn: true,
        Attributes: {
          RawMessageDelivery: 'true',
          ...(Object.keys(filterPolicy).length > 0 && { FilterPolicy: JSON.stringify(filterPolicy) }),
        },
      }),
    );
    return { queueUrl: QueueUrl, subscriptionArn: SubscriptionArn ?? '' };
  } catch (error) {
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    throw error;
  }
}

/**
 * Prints the upload events as they come: subscribes a temporary queue to the topic (with the
 * filter policy), receives until `signal` aborts, then unsubscribes and deletes the queue.
 */
export async function tailUploadEvents(options: {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly filterPolicy: Record<string, string[]>;
  readonly signal: AbortSignal;
  readonly onEvent: (event: UploadEvent) => void;
  /** Called once the subscription exists: events published from now on are seen. */
  readonly onReady?: (queueUrl: string) => void;
}): Promise<void> {
  const subscription = await subscribe(options, options.topicArn, options.filterPolicy);
  options.onReady?.(subscription.queueUrl);
  try {
    while (!options.signal.aborted) {
      const { Messages = [] } = await options.sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: subscription.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 2,
          }),
          { abortSignal: options.signal },
        )
        .catch((error: unknown) => {
          if (options.signal.aborted) return { Messages: [] };
          throw error;
        });
      for (const message of Messages) {
        try {
          options.onEvent(JSON.parse(message.Body ?? '') as UploadEvent);
        } catch {
          // Not an event of ours: the topic is the stack's; skip it.
        }
      }
      if (Messages.length > 0) {
        await options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: subscription.queueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    }
  } finally {
    if (subscription.subscriptionArn) {
      await options.sns
        .send(new UnsubscribeCommand({ SubscriptionArn: subscription.subscriptionArn }))
        .catch(() => undefined);
    }
    await options.sqs
      .send(new DeleteQueueCommand({ QueueUrl: subscription.queueUrl }))
      .catch(() => undefined);
  }
}
