import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { BY_BUCKET_DAY_INDEX } from '../../src/core/log-items.js';

/**
 * The upload log (a public contract users query: on-demand, point-in-time recovery, TTL on
 * `expiresAt`, the `byBucketDay` index, deletion protection, kept when the stack is deleted) and
 * the Powertools idempotency table (`id`, TTL on `expiration`; transient, so it goes with the stack).
 */
export class UploadLogTables extends Construct {
  readonly uploadLog: Table;
  readonly idempotency: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.uploadLog = new Table(this, 'UploadLog', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      // The outbox of the upload events: every committed change, with the row before and after.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.uploadLog.addGlobalSecondaryIndex({
      indexName: BY_BUCKET_DAY_INDEX,
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.idempotency = new Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiration',
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
