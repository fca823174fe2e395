import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket, CfnBucket, EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DEFAULT_GSI_SHARD_COUNT } from '../src/config.js';
import { BackfillFunction } from './constructs/backfill-function.js';
import { type AlarmThresholds, IngestAlarms } from './constructs/ingest-alarms.js';
import { IngestDashboard } from './constructs/ingest-dashboard.js';
import { IngestQueues } from './constructs/ingest-queues.js';
import { PrivateBucket } from './constructs/private-bucket.js';
import { UploadLogTables } from './constructs/upload-log-tables.js';
import { WorkerFunction } from './constructs/worker-function.js';
import { eventSourceProblems } from './event-source-rules.js';
import { OUTPUT } from './output-names.js';

/** What a platform team sets when it deploys s3-ingest. Every prop has a safe default. */
export interface IngestStackProps extends StackProps {
  /** Existing buckets (by name, in this account) that also notify the ingest queue. @default none */
  readonly existingBucketNames?: readonly string[];
  /** Create a private bucket and copy accepted objects there. @default false */
  readonly copyDestination?: boolean;
  /** @default Duration.seconds(30) */
  readonly workerTimeout?: Duration;
  /** @default 1024 */
  readonly workerMemorySize?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default Duration.seconds(1) */
  readonly batchingWindow?: Duration;
  /** @default 50 */
  readonly maxConcurrency?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** Upload rows expire this many days after processing. @default kept forever */
  readonly retentionDays?: number;
  /** @default 8 */
  readonly gsiShardCount?: number;
  readonly maxObjectBytes?: number;
  readonly allowedContentTypes?: readonly string[];
  readonly blockedExtensions?: readonly string[];
  readonly alarmThresholds?: AlarmThresholds;
  /** Email address subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /**
   * Add the S3 Batch Operations backfill function and the role its jobs assume. Needs
   * `inventoryBucketName`. @default false
   */
  readonly backfillFunction?: boolean;
  /** The existing bucket holding S3 Inventory reports of the watched buckets (the jobs' manifests). */
  readonly inventoryBucketName?: string;
}

/** Name CDK gives the singleton Lambda that writes bucket notification configurations. */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * s3-ingest: watched buckets notify an SQS queue; a Lambda worker records every object exactly
 * once in a DynamoDB upload log; a DLQ, alarms, an SNS topic and a dashboard let on-call see,
 * alarm on and replay what failed.
 */
export class IngestStack extends Stack {
  readonly ingestBucket: PrivateBucket;
  readonly watchedBuckets: IBucket[];
  readonly copyDestination: PrivateBucket | undefined;
  readonly queues: IngestQueues;
  readonly tables: UploadLogTables;
  readonly worker: WorkerFunction;
  readonly alarms: IngestAlarms;
  readonly backfill: BackfillFunction | undefined;

  constructor(scope: Construct, id: string, props: IngestStackProps = {}) {
    super(scope, id, props);
    const workerTimeout = props.workerTimeout ?? Duration.seconds(30);
    const batchingWindow = props.batchingWindow ?? Duration.seconds(1);
    // Lambda's rule for SQS event sources: at least 6x the function timeout, plus the batching window.
    const visibilityTimeout = Duration.seconds(workerTimeout.toSeconds() * 6 + batchingWindow.toSeconds());
    const problems = eventSourceProblems({
      functionTimeoutSeconds: workerTimeout.toSeconds(),
      memorySize: props.workerMemorySize ?? 1024,
      batchSize: props.batchSize ?? 10,
      batchingWindowSeconds: batchingWindow.toSeconds(),
      maxConcurrency: props.maxConcurrency ?? 50,
      maxReceiveCount: props.maxReceiveCount ?? 5,
      visibilityTimeoutSeconds: visibilityTimeout.toSeconds(),
    });
    if (problems.length > 0) throw new Error(`AWS would refuse these settings: ${problems.join('; ')}`);

    const accessLogs = new PrivateBucket(this, 'AccessLogs');
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This is the access-log bucket of the stack; logging its own access would log the logging.',
    });
    this.ingestBucket = new PrivateBucket(this, 'IngestBucket', { accessLogs });
    this.copyDestination = props.copyDestination
      ? new PrivateBucket(this, 'CopyDestination', { accessLogs })
      : undefined;
    this.watchedBuckets = [
      this.ingestBucket,
      ...(props.existingBucketNames ?? []).map((name, index) =>
        Bucket.fromBucketName(this, `WatchedBucket${index}`, name),
      ),
    ];

    this.queues = new IngestQueues(this, 'Queues', {
      visibilityTimeout,
      ...(props.maxReceiveCount !== undefined && { maxReceiveCount: props.maxReceiveCount }),
    });
    for (const bucket of this.watchedBuckets) {
      const destination = this.queues.destinationFor();
      bucket.addEventNotification(EventType.OBJECT_CREATED, destination);
      bucket.addEventNotification(EventType.OBJECT_REMOVED, destination);
    }

    this.tables = new UploadLogTables(this, 'Tables');
    this.worker = new WorkerFunction(this, 'Worker', {
      queue: this.queues.queue,
      timeout: workerTimeout,
      batchingWindow,
      ...(props.workerMemorySize !== undefined && { memorySize: props.workerMemorySize }),
      ...(props.batchSize !== undefined && { batchSize: props.batchSize }),
      ...(props.maxConcurrency !== undefined && { maxConcurrency: props.maxConcurrency }),
      settings: {
        uploadLogTable: this.tables.uploadLog.tableName,
        idempotencyTable: this.tables.idempotency.tableName,
        ...(this.copyDestination && { copyDestinationBucket: this.copyDestination.bucketName }),
        ...(props.retentionDays !== undefined && { retentionDays: props.retentionDays }),
        ...(props.gsiShardCount !== undefined && { gsiShardCount: props.gsiShardCount }),
        ...(props.maxObjectBytes !== undefined && { maxObjectBytes: props.maxObjectBytes }),
        ...(props.allowedContentTypes && { allowedContentTypes: props.allowedContentTypes }),
        ...(props.blockedExtensions && { blockedExtensions: props.blockedExtensions }),
        watchedBuckets: this.watchedBuckets.map((bucket) => bucket.bucketName),
      },
    });
    this.grantLeastPrivilege();

    if (props.backfillFunction && !props.inventoryBucketName) {
      throw new Error(
        'backfillFunction needs inventoryBucket: the bucket that holds the S3 Inventory reports Batch Operations reads (-c inventoryBucket=NAME)',
      );
    }
    this.backfill = props.backfillFunction
      ? new BackfillFunction(this, 'Backfill', {
          queue: this.queues.queue,
          watchedBuckets: this.watchedBuckets,
          inventoryBucket: Bucket.fromBucketName(this, 'InventoryBucket', props.inventoryBucketName ?? ''),
        })
      : undefined;

    this.alarms = new IngestAlarms(this, 'Alarms', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      worker: this.worker.function,
      tables: [this.tables.uploadLog, this.tables.idempotency],
      ...(props.alarmThresholds && { thresholds: props.alarmThresholds }),
      ...(props.alarmEmail && { alarmEmail: props.alarmEmail }),
    });
    const dashboard = new IngestDashboard(this, 'Dashboard', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      worker: this.worker.function,
      tables: [this.tables.uploadLog, this.tables.idempotency],
      alarms: this.alarms.alarms,
    });

    this.output(OUTPUT.ingestBucket, this.ingestBucket.bucketName, 'Bucket whose uploads are recorded');
    this.output(
      OUTPUT.watchedBuckets,
      this.watchedBuckets.map((bucket) => bucket.bucketName).join(','),
      'Every bucket that notifies the ingest queue',
    );
    if (this.copyDestination) {
      this.output(
        OUTPUT.copyDestinationBucket,
        this.copyDestination.bucketName,
        'Private copies of accepted objects',
      );
    }
    this.output(
      OUTPUT.gsiShardCount,
      String(props.gsiShardCount ?? DEFAULT_GSI_SHARD_COUNT),
      'Shards per bucket-day of the byBucketDay index (GSI_SHARD_COUNT): readers query every one',
    );
    this.output(OUTPUT.ingestQueueUrl, this.queues.queue.queueUrl, 'Ingest queue');
    this.output(OUTPUT.ingestQueueArn, this.queues.queue.queueArn, 'Ingest queue ARN');
    this.output(OUTPUT.dlqUrl, this.queues.deadLetterQueue.queueUrl, 'Dead-letter queue');
    this.output(OUTPUT.dlqArn, this.queues.deadLetterQueue.queueArn, 'Dead-letter queue ARN');
    this.output(OUTPUT.uploadLogTable, this.tables.uploadLog.tableName, 'Upload log table');
    this.output(OUTPUT.idempotencyTable, this.tables.idempotency.tableName, 'Idempotency table');
    this.output(OUTPUT.workerFunction, this.worker.function.functionName, 'Worker function');
    this.output(OUTPUT.alarmTopic, this.alarms.topic.topicArn, 'SNS topic of every alarm');
    this.output(OUTPUT.dashboard, dashboard.dashboard.dashboardName, 'CloudWatch dashboard');
    if (this.backfill) {
      this.output(
        OUTPUT.backfillFunctionArn,
        this.backfill.function.functionArn,
        'S3 Batch Operations backfill function',
      );
      this.output(
        OUTPUT.batchOperationsRoleArn,
        this.backfill.batchOperationsRole.roleArn,
        'Role S3 Batch Operations backfill jobs assume',
      );
      this.output(
        OUTPUT.inventoryBucket,
        props.inventoryBucketName ?? '',
        'Bucket of the S3 Inventory reports',
      );
    }

    this.acknowledgeUnavoidableFindings();
  }

  /** A bucket's ARN as cdk-nag prints it in findings: `<LogicalId.Arn>` or the literal ARN of an imported bucket. */
  private resolveArnForFinding(bucket: IBucket): string {
    const cfn = bucket.node.defaultChild;
    if (cfn instanceof CfnBucket) return `<${this.getLogicalId(cfn)}.Arn>`;
    return `arn:<AWS::Partition>:s3:::${bucket.bucketName}`;
  }

  private output(name: string, value: string, description: string): void {
    new CfnOutput(this, name, { value, description });
  }

  /** Grants the worker exactly the calls it makes, on exactly its resources. */
  private grantLeastPrivilege(): void {
    const role = this.worker.role;
    for (const bucket of this.watchedBuckets) {
      // HeadObject needs s3:GetObject (GetObjectVersion with a versionId); without s3:ListBucket a
      // deleted object answers 403 instead of 404 and could not be told apart from a real denial.
      role.addToPolicy(
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [bucket.arnForObjects('*')],
        }),
      );
      role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    if (this.copyDestination) {
      // PutObject covers CopyObject and the multipart copy of objects over 5 GiB (CreateMultipartUpload,
      // UploadPartCopy, CompleteMultipartUpload); AbortMultipartUpload and ListMultipartUploadParts
      // clean up a failed one until no part is left; ListBucketMultipartUploads finds an upload an
      // earlier attempt left open at the same key, so a retry never opens a second one.
      role.addToPolicy(
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [this.copyDestination.arnForObjects('*')],
        }),
      );
      role.addToPolicy(
        new PolicyStatement({
          actions: ['s3:ListBucketMultipartUploads'],
          resources: [this.copyDestination.bucketArn],
        }),
      );
    }
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.tables.uploadLog.tableArn],
      }),
    );
    // GetItem: Powertools' DynamoDB persistence layer documents it as required, and reads the record
    // with it whenever a failed conditional put comes back without the item
    // (ReturnValuesOnConditionCheckFailure); without it that path fails with AccessDenied on every receive.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.tables.idempotency.tableArn],
      }),
    );
  }

  /** Findings that cannot be fixed in this stack, each with the reason a reviewer needs. */
  private acknowledgeUnavoidableFindings(): void {
    const workerPolicy = this.worker.role.node.tryFindChild('DefaultPolicy');
    if (workerPolicy) {
      // Object-level S3 actions name objects by pattern: the worker reads whatever key is uploaded and
      // writes copies under any key. One acknowledgement per bucket, so no other wildcard slips through.
      const objectPatterns = [
        ...this.watchedBuckets,
        ...(this.copyDestination ? [this.copyDestination] : []),
      ].map((bucket) => `Resource::${this.resolveArnForFinding(bucket)}/*`);
      for (const finding of objectPatterns) {
        Validations.of(workerPolicy).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
          reason:
            'Object-level S3 permissions must name objects by pattern (bucket-arn/*); no action is wildcarded.',
        });
      }
      Validations.of(workerPolicy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) use Resource "*": X-Ray supports ' +
          'no resource-level permissions for them, so AWS requires "*".',
      });
    }
    Validations.of(this.queues.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the DLQ itself; messages stay here (14 days) until on-call redrives or discards them.',
    });
    for (const id of [
      'Serverless::Serverless-LambdaDLQ',
      'Serverless::Serverless-LambdaEventSourceMappingDestination',
    ]) {
      Validations.of(this.worker.function).acknowledge({
        id,
        reason:
          'The worker is invoked synchronously by the SQS event source mapping: a record that keeps failing is ' +
          "moved to the ingest queue's DLQ by its redrive policy, where on-call reads and redrives it. A second " +
          'failure destination would split failed records across two places.',
      });
    }
    const handler = this.node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
    if (handler) {
      const reason =
        "CDK's own singleton that writes the bucket notification configuration at deploy time (it is the only " +
        'way to configure notifications on existing buckets). It runs only during deployments; its role, runtime ' +
        'and settings are set by aws-cdk-lib, not by this stack.';
      for (const id of [
        'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions::AwsSolutions-L1',
        'Serverless::Serverless-LambdaDLQ',
        'Serverless::Serverless-LambdaDefaultMemorySize',
        'Serverless::Serverless-LambdaLatestVersion',
        'Serverless::Serverless-LambdaTracing',
        'Serverless::Serverless-LambdaLogGroupRetention',
      ]) {
        Validations.of(handler).acknowledge({ id, reason });
      }
    }
  }
}
