import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Props of {@link PrivateBucket}. */
export interface PrivateBucketProps {
  /** Where S3 server access logs go; absent only for the access-log bucket itself. */
  readonly accessLogs?: IBucket;
  /** Prefix of this bucket's access logs. */
  readonly accessLogsPrefix?: string;
  /** @default RemovalPolicy.RETAIN: uploads outlive the stack */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A bucket with the safe defaults in one place: all public access blocked, ACLs disabled,
 * SSL only, S3-managed encryption at rest, versioning, server access logs, and incomplete
 * multipart uploads aborted after a day (S3 bills their parts until they are: a copy over 5 GiB
 * that failed and could not be cleaned up, an uploader's abandoned upload).
 */
export class PrivateBucket extends Bucket {
  constructor(scope: Construct, id: string, props: PrivateBucketProps = {}) {
    super(scope, id, {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      lifecycleRules: [
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.accessLogs && {
        serverAccessLogsBucket: props.accessLogs,
        serverAccessLogsPrefix: props.accessLogsPrefix ?? `${id}/`,
      }),
    });
  }
}
