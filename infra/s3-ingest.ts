import { Annotations, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket, EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_GSI_SHARD_COUNT } from '../src/config.js';
import { EVENTBRIDGE_DETAIL_TYPES } from '../src/core/s3-eventbridge-event.js';
import { BackfillFunction } from './constructs/backfill-function.js';
import { type AlarmThresholds, IngestAlarms } from './constructs/ingest-alarms.js';
import { IngestDashboard } from './constructs/ingest-dashboard.js';
import { IngestQueues } from './constructs/ingest-queues.js';
import { MalwareProtection } from './constructs/malware-protection.js';
import { PrivateBucket } from './constructs/private-bucket.js';
import { UploadEvents } from './constructs/upload-events.js';
import { UploadLogTables } from './constructs/upload-log-tables.js';
import { WorkerFunction } from './constructs/worker-function.js';
import { eventSourceProblems } from './event-source-rules.js';
import { nagFinding } from './nag-findings.js';
import { OUTPUT } from './output-names.js';

/**
 * How a bucket's events reach the ingest queue.
 * - `notifications`: the bucket's own event notification configuration (one consumer per event
 *   type and prefix: S3 refuses a second, overlapping one).
 * - `eventbridge`: the bucket sends every event to EventBridge; a rule on the default bus sends
 *   this bucket's `Object Created` and `Object Deleted` events to the queue.
 */
export type BucketEventSource = 'notifications' | 'eventbridge';

/** A bucket s3-ingest records, and how it hears from it. */
export interface WatchedBucket {
  /** A bucket of this app, or an imported one (`Bucket.fromBucketName`), in this account and region. */
  readonly bucket: IBucket;
  /**
   * `eventbridge` turns on the bucket's EventBridge delivery when the bucket is defined in this app;
   * an imported bucket's configuration is never written: its owner turns EventBridge on.
   * @default 'notifications'
   */
  readonly source?: BucketEventSource;
}

/** What a platform team sets when it adds s3-ingest to a stack. Every prop has a safe default. */
export interface S3IngestProps {
  /** Buckets to record besides the construct's own. @default none */
  readonly buckets?: readonly WatchedBucket[];
  /**
   * Make a private bucket (with an access-log bucket) and record it.
   * @default true when `buckets` is empty, false otherwise
   */
  readonly ownBucket?: boolean;
  /** How the construct's own bucket reports its events. @default 'notifications' */
  readonly ownBucketSource?: BucketEventSource;
  /**
   * Copy every accepted object here: a bucket of the user's, or `true` for a private bucket the
   * construct makes. @default no copies
   */
  readonly copyDestination?: IBucket | boolean;
  /** Lambda timeout of the worker (1-900 s). @default Duration.seconds(30) */
  readonly workerTimeout?: Duration;
  /** Worker memory in MB (128-10240). @default 1024 */
  readonly workerMemorySize?: number;
  /** Records per invocation (1-10000; over 10 needs a batching window). @default 10 */
  readonly batchSize?: number;
  /** @default Duration.seconds(1) */
  readonly batchingWindow?: Duration;
  /** Most concurrent worker invocations (2-1000). @default 50 */
  readonly maxConcurrency?: number;
  /** Receives before a message moves to the DLQ (1-1000). @default 5 */
  readonly maxReceiveCount?: number;
  /** Upload rows expire this many days after processing. @default kept forever */
  readonly retentionDays?: number;
  /** Shards per bucket-day of the byBucketDay index (1-64). @default 8 */
  readonly gsiShardCount?: number;
  /** Objects larger than this are rejected (recorded, not copied). @default no limit */
  readonly maxObjectBytes?: number;
  /** Content types accepted; others are rejected. @default every type */
  readonly allowedContentTypes?: readonly string[];
  /** File extensions rejected (without the dot), by the key's name and by the type the content shows. @default none */
  readonly blockedExtensions?: readonly string[];
  /**
   * Read each new object's first 4,100 bytes (one ranged GET of exactly that content) and judge its
   * type by them: `detectedType` on the row. @default true
   */
  readonly contentChecks?: boolean;
  /** Reject content that contradicts its declared Content-Type. @default false */
  readonly rejectMismatchedTypes?: boolean;
  /**
   * The malware-scan gate: a GuardDuty Malware Protection plan (tagging on) for each watched bucket
   * the construct owns, a rule that sends every watched bucket's scan results to the ingest queue,
   * accepted objects recorded `scan: PENDING` and copied only after a clean scan, malware `REJECTED`
   * (`ThreatsFound` alarm). An imported bucket's owner makes its plan. @default false
   */
  readonly malwareProtection?: boolean;
  /** What an object whose scan did not complete (skipped, failed) gets: `hold` (never copied) or `accept`. @default 'hold' */
  readonly scanFailureAction?: 'hold' | 'accept';
  /**
   * With `malwareProtection`: believe a scan result that lets an object through only when the
   * scanned version carries GuardDuty's `GuardDutyMalwareScanStatus` tag with the same result, so a
   * result forged by someone who may send to the queue copies nothing. The plans this construct
   * makes tag; an imported bucket's plan must have tagging on too, or set this to `false`. @default true
   */
  readonly scanTagCheck?: boolean;
  /** @default the thresholds of docs/operating.md */
  readonly alarmThresholds?: AlarmThresholds;
  /**
   * The topic every alarm goes to. Its policy (and its key's) must let CloudWatch publish.
   * @default a topic of its own, KMS-encrypted, SSL only
   */
  readonly alarmTopic?: ITopic;
  /** Email address subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /** Email address subscribed to the upload events, filtered by `notifyOn`. @default no subscription */
  readonly notifyEmail?: string;
  /** Statuses `notifyEmail` hears about (STORED, REJECTED, GONE, DELETED, PRESENT). @default REJECTED and GONE */
  readonly notifyOn?: readonly string[];
  /** Put the upload events on a custom EventBridge bus too (source `s3-ingest`, detail-type the event's type). @default false */
  readonly eventBus?: boolean;
  /**
   * Add the S3 Batch Operations backfill function and the role its jobs assume, reading manifests
   * from the bucket of the watched buckets' S3 Inventory reports. @default no backfill function
   */
  readonly backfill?: { readonly inventoryBucket: IBucket };
  /**
   * Add the stack outputs the `s3-ingest` tools read (`--stack-name`), under fixed names: at most
   * one S3Ingest per stack can have them. @default true
   */
  readonly toolOutputs?: boolean;
}

/**
 * Feature flags the construct sets for its own scope. Without the first, an app that does not set
 * it (a `cdk.json` older than aws-cdk-lib 2.60) gives the access-log bucket a `LogDeliveryWrite`
 * ACL, which its enforced bucket ownership refuses: the synth fails.
 */
export const CONSTRUCT_FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
};

/** Name CDK gives the singleton Lambda that writes bucket notification configurations. */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * s3-ingest in any stack: watched buckets notify an SQS queue (directly or through EventBridge);
 * a Lambda worker records every object exactly once in a DynamoDB upload log; a DLQ, alarms, an
 * SNS topic and a dashboard let on-call see, alarm on and replay what failed.
 */
export class S3Ingest extends Construct {
  /** The construct's own bucket, when it has one. */
  readonly ingestBucket: PrivateBucket | undefined;
  /** Every bucket recorded, the construct's own first. */
  readonly watchedBuckets: readonly IBucket[];
  /** The watched buckets heard through EventBridge, each with the rule that sends its events. */
  readonly eventBridgeRules: readonly { readonly bucket: IBucket; readonly rule: Rule }[];
  readonly copyDestination: IBucket | undefined;
  readonly queues: IngestQueues;
  readonly tables: UploadLogTables;
  readonly worker: WorkerFunction;
  readonly alarms: IngestAlarms;
  readonly dashboard: IngestDashboard;
  readonly backfill: BackfillFunction | undefined;
  /** The upload events: the log's stream, the publisher, the topic subscribers subscribe to. */
  readonly uploadEvents: UploadEvents;
  /** GuardDuty Malware Protection and the scan results' rule, when `malwareProtection` is on. */
  readonly malwareProtection: MalwareProtection | undefined;

  constructor(scope: Construct, id: string, props: S3IngestProps = {}) {
    super(scope, id);
    // The construct's own resources are built as the repository's app builds them, whatever the
    // consumer's cdk.json says (these flags are set in the construct's scope only).
    for (const [flag, value] of Object.entries(CONSTRUCT_FEATURE_FLAGS)) this.node.setContext(flag, value);
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

    const given = props.buckets ?? [];
    const ownBucket = props.ownBucket ?? given.length === 0;
    const ownsBuckets = ownBucket || props.copyDestination === true;
    const accessLogs = ownsBuckets ? new PrivateBucket(this, 'AccessLogs') : undefined;
    if (accessLogs) {
      Validations.of(accessLogs).acknowledge({
        id: 'AwsSolutions::AwsSolutions-S1',
        reason: 'This is the access-log bucket of the stack; logging its own access would log the logging.',
      });
    }
    this.ingestBucket = ownBucket ? new PrivateBucket(this, 'IngestBucket', { accessLogs }) : undefined;
    this.copyDestination =
      props.copyDestination === true
        ? new PrivateBucket(this, 'CopyDestination', { accessLogs })
        : props.copyDestination || undefined;
    const watched: WatchedBucket[] = [
      ...(this.ingestBucket
        ? [{ bucket: this.ingestBucket, source: props.ownBucketSource ?? 'notifications' }]
        : []),
      ...given,
    ];
    if (watched.length === 0)
      throw new Error('S3Ingest needs a bucket to watch: pass buckets or ownBucket: true');
    this.watchedBuckets = watched.map((entry) => entry.bucket);

    this.queues = new IngestQueues(this, 'Queues', {
      visibilityTimeout,
      ...(props.maxReceiveCount !== undefined && { maxReceiveCount: props.maxReceiveCount }),
    });
    const rules: { bucket: IBucket; rule: Rule }[] = [];
    watched.forEach((entry, index) => {
      if ((entry.source ?? 'notifications') === 'eventbridge') {
        rules.push({ bucket: entry.bucket, rule: this.hearThroughEventBridge(entry.bucket, index) });
      } else {
        const destination = this.queues.destinationFor();
        entry.bucket.addEventNotification(EventType.OBJECT_CREATED, destination);
        entry.bucket.addEventNotification(EventType.OBJECT_REMOVED, destination);
      }
    });
    this.eventBridgeRules = rules;

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
        ...(props.contentChecks !== undefined && { contentChecks: props.contentChecks }),
        ...(props.rejectMismatchedTypes !== undefined && {
          rejectMismatchedTypes: props.rejectMismatchedTypes,
        }),
        ...(props.malwareProtection && {
          malwareScanGate: true,
          scanCheckQueueUrl: this.queues.queue.queueUrl,
          scanTagCheck: props.scanTagCheck ?? true,
        }),
        ...(props.scanFailureAction !== undefined && { scanFailureAction: props.scanFailureAction }),
        watchedBuckets: this.watchedBuckets.map((bucket) => bucket.bucketName),
      },
    });
    this.grantLeastPrivilege();

    this.backfill = props.backfill
      ? new BackfillFunction(this, 'Backfill', {
          queue: this.queues.queue,
          watchedBuckets: this.watchedBuckets,
          inventoryBucket: props.backfill.inventoryBucket,
        })
      : undefined;

    this.alarms = new IngestAlarms(this, 'Alarms', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      worker: this.worker.function,
      tables: [this.tables.uploadLog, this.tables.idempotency],
      ...(props.alarmThresholds && { thresholds: props.alarmThresholds }),
      ...(props.alarmEmail && { alarmEmail: props.alarmEmail }),
      ...(props.alarmTopic && { topic: props.alarmTopic }),
    });
    this.malwareProtection = props.malwareProtection
      ? this.protectFromMalware(watched, props.scanTagCheck ?? true)
      : undefined;
    this.uploadEvents = new UploadEvents(this, 'UploadEvents', {
      uploadLog: this.tables.uploadLog,
      alarmTopic: this.alarms.topic,
      ...(props.notifyEmail && { notifyEmail: props.notifyEmail }),
      ...(props.notifyOn && { notifyOn: props.notifyOn }),
      ...(props.eventBus !== undefined && { eventBus: props.eventBus }),
    });
    this.dashboard = new IngestDashboard(this, 'Dashboard', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      worker: this.worker.function,
      tables: [this.tables.uploadLog, this.tables.idempotency],
      alarms: [...this.alarms.alarms, ...this.uploadEvents.alarms],
    });
    if (props.toolOutputs ?? true) this.addToolOutputs(props);
    this.acknowledgeUnavoidableFindings();
  }

  /**
   * A rule on the default bus that sends this bucket's created and deleted objects to the ingest
   * queue (the queue policy admits EventBridge for this rule only), with the DLQ for events the
   * queue refused. Turns the bucket's EventBridge delivery on when the bucket is defined in this app.
   */
  private hearThroughEventBridge(bucket: IBucket, index: number): Rule {
    if (bucket instanceof Bucket) bucket.enableEventBridgeNotification();
    else {
      Annotations.of(this).addInfo(
        `${bucket.bucketName} is heard through EventBridge: its owner turns on "Send notifications to Amazon EventBridge" ` +
          "(the bucket's EventBridgeConfiguration); this app never writes an imported bucket's notification configuration.",
      );
    }
    const rule = new Rule(this, `EventBridgeBucket${index}`, {
      description: 's3-ingest: created and deleted objects of one watched bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: Object.values(EVENTBRIDGE_DETAIL_TYPES),
        detail: { bucket: { name: [bucket.bucketName] } },
      },
    });
    rule.addTarget(
      new SqsQueue(this.queues.queue, {
        deadLetterQueue: this.queues.deadLetterQueue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    );
    return rule;
  }

  /**
   * The malware-scan gate's AWS side: plans for the buckets this construct owns, the rule for every
   * watched bucket's scan results, the alarms; the worker may query the log for a content's scans.
   */
  private protectFromMalware(watched: readonly WatchedBucket[], tagCheck: boolean): MalwareProtection {
    const owned = watched.map((entry) => entry.bucket).filter((bucket) => bucket instanceof Bucket);
    for (const entry of watched) {
      if (entry.bucket instanceof Bucket) continue;
      Annotations.of(this).addInfo(
        `${entry.bucket.bucketName} is imported: its owner turns on GuardDuty Malware Protection for S3 (tagging on) for it; ` +
          "this app makes plans only for the buckets it owns, and hears every watched bucket's scan results.",
      );
    }
    // The copy rule asks which scans a content has had (every version with its eTag).
    this.worker.role.addToPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [this.tables.uploadLog.tableArn] }),
    );
    // The delayed check of each pending scan goes to the ingest queue (SQS-managed encryption: no key).
    this.worker.role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queues.queue.queueArn] }),
    );
    // The tag check reads GuardDuty's tag on the scanned version (GetObjectVersionTagging with a versionId).
    if (tagCheck) {
      for (const bucket of this.watchedBuckets) {
        this.worker.role.addToPolicy(
          new PolicyStatement({
            actions: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging'],
            resources: [bucket.arnForObjects('*')],
          }),
        );
      }
    }
    return new MalwareProtection(this, 'MalwareProtection', {
      protectedBuckets: owned,
      watchedBuckets: this.watchedBuckets,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
    });
  }

  /** The outputs the tools find the deployment by, under the names of {@link OUTPUT}. */
  private addToolOutputs(props: S3IngestProps): void {
    const output = (name: string, value: string, description: string) => {
      const cfn = new CfnOutput(this, name, { value, description });
      cfn.overrideLogicalId(name);
    };
    output(
      OUTPUT.ingestBucket,
      (this.ingestBucket ?? this.watchedBuckets[0])?.bucketName ?? '',
      'Bucket whose uploads are recorded',
    );
    output(
      OUTPUT.watchedBuckets,
      this.watchedBuckets.map((bucket) => bucket.bucketName).join(','),
      'Every bucket that notifies the ingest queue',
    );
    if (this.copyDestination) {
      output(
        OUTPUT.copyDestinationBucket,
        this.copyDestination.bucketName,
        'Private copies of accepted objects',
      );
    }
    output(
      OUTPUT.gsiShardCount,
      String(props.gsiShardCount ?? DEFAULT_GSI_SHARD_COUNT),
      'Shards per bucket-day of the byBucketDay index (GSI_SHARD_COUNT): readers query every one',
    );
    output(OUTPUT.ingestQueueUrl, this.queues.queue.queueUrl, 'Ingest queue');
    output(OUTPUT.ingestQueueArn, this.queues.queue.queueArn, 'Ingest queue ARN');
    output(OUTPUT.dlqUrl, this.queues.deadLetterQueue.queueUrl, 'Dead-letter queue');
    output(OUTPUT.dlqArn, this.queues.deadLetterQueue.queueArn, 'Dead-letter queue ARN');
    output(OUTPUT.uploadLogTable, this.tables.uploadLog.tableName, 'Upload log table');
    output(OUTPUT.idempotencyTable, this.tables.idempotency.tableName, 'Idempotency table');
    output(OUTPUT.workerFunction, this.worker.function.functionName, 'Worker function');
    output(OUTPUT.alarmTopic, this.alarms.topic.topicArn, 'SNS topic of every alarm');
    output(OUTPUT.dashboard, this.dashboard.dashboard.dashboardName, 'CloudWatch dashboard');
    output(
      OUTPUT.uploadEventsTopic,
      this.uploadEvents.topic.topicArn,
      'SNS topic of the upload events (schemas/upload-event-v1.schema.json)',
    );
    if (this.uploadEvents.bus) {
      output(
        OUTPUT.uploadEventsBus,
        this.uploadEvents.bus.eventBusName,
        'EventBridge bus of the upload events',
      );
    }
    if (this.backfill && props.backfill) {
      output(
        OUTPUT.backfillFunctionArn,
        this.backfill.function.functionArn,
        'S3 Batch Operations backfill function',
      );
      output(
        OUTPUT.batchOperationsRoleArn,
        this.backfill.batchOperationsRole.roleArn,
        'Role S3 Batch Operations backfill jobs assume',
      );
      output(
        OUTPUT.inventoryBucket,
        props.backfill.inventoryBucket.bucketName,
        'Bucket of the S3 Inventory reports',
      );
    }
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

  /** Findings that cannot be fixed here, each with the reason a reviewer needs. */
  private acknowledgeUnavoidableFindings(): void {
    const workerPolicy = this.worker.role.node.tryFindChild('DefaultPolicy');
    if (workerPolicy) {
      // Object-level S3 actions name objects by pattern: the worker reads whatever key is uploaded and
      // writes copies under any key. One acknowledgement per bucket, so no other wildcard slips through.
      const objectPatterns = [
        ...this.watchedBuckets,
        ...(this.copyDestination ? [this.copyDestination] : []),
      ].map((bucket) => `Resource::${nagFinding(this, bucket.arnForObjects('*'))}`);
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
    const handler = Stack.of(this).node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
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
