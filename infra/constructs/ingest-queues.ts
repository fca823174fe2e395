import { Duration, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  type BucketNotificationDestinationConfig,
  BucketNotificationDestinationType,
  type IBucket,
  type IBucketNotificationDestination,
} from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Props of {@link IngestQueues}. */
export interface IngestQueuesProps {
  /** Must cover the worker: at least 6x its timeout plus the batching window (Lambda's rule). */
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * The ingest queue and its DLQ: SQS-managed encryption (S3 can publish to it; a KMS key would
 * need S3 in its key policy), SSL only, DLQ kept 14 days, and a queue policy that admits S3
 * only for the watched buckets of this account.
 */
export class IngestQueues extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: IngestQueuesProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1 || this.maxReceiveCount > 1000) {
      throw new Error(`maxReceiveCount must be a whole number from 1 to 1000, got ${this.maxReceiveCount}`);
    }
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
  }

  /**
   * A notification destination that admits S3 only with `aws:SourceArn` of the bucket and
   * `aws:SourceAccount` of this account (CDK's own SqsDestination checks the ARN only, and
   * bucket names can be re-registered by another account).
   */
  destinationFor(): IBucketNotificationDestination {
    const queue = this.queue;
    return {
      bind(_scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
        const result = queue.addToResourcePolicy(
          new PolicyStatement({
            sid: `AllowS3Notifications${bucket.node.addr.slice(0, 8)}`,
            effect: Effect.ALLOW,
            principals: [new ServicePrincipal('s3.amazonaws.com')],
            actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
            resources: [queue.queueArn],
            conditions: {
              ArnLike: { 'aws:SourceArn': bucket.bucketArn },
              StringEquals: { 'aws:SourceAccount': Stack.of(queue).account },
            },
          }),
        );
        return {
          arn: queue.queueArn,
          type: BucketNotificationDestinationType.QUEUE,
          ...(result.policyDependable && { dependencies: [result.policyDependable] }),
        };
      },
    };
  }
}
