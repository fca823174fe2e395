import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type Function as LambdaFunction,
  LoggingFormat,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundledFunction } from '../function-code.js';
import { nagFinding } from '../nag-findings.js';
import { BATCH_REPORT_PREFIX } from '../output-names.js';

/** Props of {@link BackfillFunction}. */
export interface BackfillFunctionProps {
  /** Where the notifications go: the ingest queue. */
  readonly queue: IQueue;
  /** The buckets whose objects it may head. */
  readonly watchedBuckets: readonly IBucket[];
  /** Where S3 Inventory reports (the jobs' manifests) are, and where job reports are written. */
  readonly inventoryBucket: IBucket;
}

/**
 * The optional backfill function for S3 Batch Operations: invoked per task over an S3 Inventory
 * manifest, it heads the object and enqueues its notification. With it, the role Batch Operations
 * assumes: invoke this function, read the inventory bucket, write job reports under one prefix.
 */
export class BackfillFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly batchOperationsRole: Role;

  constructor(scope: Construct, id: string, props: BackfillFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.function = bundledFunction(this, 'Function', 'backfill', {
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
      role: this.role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment: { INGEST_QUEUE_URL: props.queue.queueUrl, NODE_OPTIONS: '--enable-source-maps' },
    });
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.queue.queueArn] }),
    );
    for (const bucket of props.watchedBuckets) {
      // HeadObject needs GetObject (GetObjectVersion with a version); ListBucket makes a gone object 404, not 403.
      this.role.addToPolicy(
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [bucket.arnForObjects('*')],
        }),
      );
      this.role.addToPolicy(
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
    }

    this.batchOperationsRole = new Role(this, 'BatchOperationsRole', {
      assumedBy: new ServicePrincipal('batchoperations.s3.amazonaws.com'),
      description: 'Assumed by S3 Batch Operations jobs that backfill s3-ingest',
    });
    this.batchOperationsRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
    this.batchOperationsRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [props.inventoryBucket.arnForObjects('*')],
      }),
    );
    this.batchOperationsRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.inventoryBucket.arnForObjects(`${BATCH_REPORT_PREFIX}/*`)],
      }),
    );
    this.acknowledgeFindings(props);
  }

  /** Findings that cannot be fixed here, each with its reason. */
  private acknowledgeFindings(props: BackfillFunctionProps): void {
    const functionPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (functionPolicy) {
      for (const bucket of props.watchedBuckets) {
        Validations.of(functionPolicy).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFinding(this, bucket.arnForObjects('*'))}]`,
          reason:
            'HeadObject reads whatever object a Batch Operations task names: object permissions name objects by pattern.',
        });
      }
      Validations.of(functionPolicy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only X-Ray (active tracing) uses Resource "*": xray:PutTraceSegments and PutTelemetryRecords support nothing narrower.',
      });
    }
    const batchPolicy = this.batchOperationsRole.node.tryFindChild('DefaultPolicy');
    if (batchPolicy) {
      Validations.of(batchPolicy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFinding(this, props.inventoryBucket.arnForObjects('*'))}]`,
        reason:
          'A job reads the manifest and report files the inventory writes under names it chooses: by pattern, in the inventory bucket only.',
      });
      Validations.of(batchPolicy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFinding(this, props.inventoryBucket.arnForObjects(`${BATCH_REPORT_PREFIX}/*`))}]`,
        reason:
          'Batch Operations names its completion report files itself: writes are limited to one prefix of the inventory bucket.',
      });
    }
    for (const id of [
      'Serverless::Serverless-LambdaDLQ',
      'Serverless::Serverless-LambdaEventSourceMappingDestination',
    ]) {
      Validations.of(this.function).acknowledge({
        id,
        reason:
          'Invoked synchronously by S3 Batch Operations, which retries TemporaryFailure tasks and lists every failed task in its completion report; a DLQ would hold nothing more.',
      });
    }
  }
}
