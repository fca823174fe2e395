import { Duration, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  Architecture,
  FilterCriteria,
  FilterRule,
  type Function as LambdaFunction,
  LoggingFormat,
  StartingPosition,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type ITopic,
  Subscription,
  SubscriptionFilter,
  SubscriptionProtocol,
  Topic,
} from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENTS_ENV } from '../../src/events/events-env.js';
import { bundledFunction } from '../function-code.js';
import { notifyingAlarm } from './ingest-alarms.js';

/** Props of {@link UploadEvents}. */
export interface UploadEventsProps {
  /** The upload log, with its stream (NEW_AND_OLD_IMAGES). */
  readonly uploadLog: ITable;
  /** Where the publisher's alarms go. */
  readonly alarmTopic: ITopic;
  /** Email address subscribed to the events. @default no subscription */
  readonly notifyEmail?: string;
  /** Statuses the email subscription receives (its filter policy). @default REJECTED and GONE */
  readonly notifyOn?: readonly string[];
  /** Put the events on a custom EventBridge bus too (source `s3-ingest`, detail-type the event's type). @default false */
  readonly eventBus?: boolean;
}

/** The statuses an email subscription hears about unless told otherwise. */
export const DEFAULT_NOTIFY_ON = ['REJECTED', 'GONE'] as const;

/**
 * The upload events: the upload log's DynamoDB Stream is the outbox; a publisher function on it
 * (batch failures reported, batches bisected, 24 hours of retries) publishes each announced change
 * to a standard SNS topic (KMS-encrypted, SSL only) with the message attributes subscribers filter
 * on. A batch it cannot publish within the stream's 24-hour retention goes to a DLQ as its shard
 * and sequence range; alarms watch that DLQ, the publisher's errors and how far it lags.
 */
export class UploadEvents extends Construct {
  readonly topic: Topic;
  readonly publisher: LambdaFunction;
  readonly deadLetterQueue: Queue;
  /** The custom bus the events also go to (`eventBus: true`). */
  readonly bus: EventBus | undefined;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: UploadEventsProps) {
    super(scope, id);
    const streamArn = props.uploadLog.tableStreamArn;
    if (!streamArn) throw new Error('the upload log has no stream: UploadEvents needs NEW_AND_OLD_IMAGES');
    const key = new Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: 's3-ingest upload events',
    });
    this.topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.bus = props.eventBus
      ? new EventBus(this, 'Bus', { description: 's3-ingest upload events' })
      : undefined;
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.publisher = bundledFunction(this, 'Publisher', 'events', {
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment: {
        [EVENTS_ENV.topicArn]: this.topic.topicArn,
        ...(this.bus && { [EVENTS_ENV.busName]: this.bus.eventBusName }),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    // Exactly the stream calls the event source makes, on this stream; Publish on this topic and its key.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    role.addToPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    if (this.bus) {
      role.addToPolicy(
        new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
      );
    }
    role.addToPolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    this.publisher.addEventSource(
      new DynamoEventSource(props.uploadLog, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10_000,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.deadLetterQueue),
        // TTL's deletions (REMOVE) announce nothing: they never reach the function.
        filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
      }),
    );
    if (props.notifyEmail) {
      const subscription = new Subscription(this, 'EmailSubscription', {
        topic: this.topic,
        protocol: SubscriptionProtocol.EMAIL,
        endpoint: props.notifyEmail,
        filterPolicy: {
          status: SubscriptionFilter.stringFilter({ allowlist: [...(props.notifyOn ?? DEFAULT_NOTIFY_ON)] }),
        },
      });
      Validations.of(subscription).acknowledge({
        id: 'Serverless::Serverless-SNSRedrivePolicy',
        reason:
          'An email subscription is a convenience channel: every event also stays readable in the upload log.',
      });
    }
    this.addAlarms(props.alarmTopic);
    this.acknowledgeFindings();
  }

  private addAlarms(topic: ITopic): void {
    const add = (name: string, description: string, metric: Alarm['metric'], threshold: number) => {
      this.alarms.push(notifyingAlarm(this, name, { metric, threshold, description, topic }));
    };
    add(
      'EventsDlqNotEmpty',
      'Upload events could not be published within the stream retention: the DLQ names the shard and sequence range.',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      1,
    );
    add(
      'EventsPublisherErrors',
      'The upload events publisher failed whole invocations: events are retried, and late.',
      this.publisher.metricErrors({ period: Duration.minutes(5) }),
      1,
    );
    add(
      'EventsIteratorAge',
      'Upload events lag the upload log by a minute or more.',
      this.publisher.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      60_000,
    );
  }

  private acknowledgeFindings(): void {
    const policy = this.publisher.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          "dynamodb:ListStreams (the event source lists the table's streams) and X-Ray (active tracing) support no resource-level permissions.",
      });
    }
    for (const id of ['Serverless::Serverless-SQSRedrivePolicy', 'AwsSolutions::AwsSolutions-SQS3']) {
      Validations.of(this.deadLetterQueue).acknowledge({
        id,
        reason:
          "This queue is the events DLQ itself: the stream event source's on-failure destination (cdk-nag recognises only SQS redrive policies as DLQs).",
      });
    }
    Validations.of(this.publisher).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: 'Invoked by the stream event source, whose on-failure destination is the events DLQ.',
    });
  }
}
