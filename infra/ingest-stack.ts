import { Stack, type StackProps } from 'aws-cdk-lib';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { S3Ingest, type S3IngestProps, type WatchedBucket } from './s3-ingest.js';

/** What `cdk deploy` of this repository's app sets (from `-c` keys): the construct's props, buckets by name. */
export interface IngestStackProps
  extends StackProps,
    Omit<S3IngestProps, 'buckets' | 'ownBucket' | 'copyDestination' | 'backfill' | 'alarmTopic'> {
  /** Existing buckets (by name, in this account) that notify the ingest queue. @default none */
  readonly existingBucketNames?: readonly string[];
  /** Existing buckets (by name) heard through EventBridge; their owner turns EventBridge on. @default none */
  readonly eventBridgeBucketNames?: readonly string[];
  /** Create a private bucket and copy accepted objects there. @default false */
  readonly copyDestination?: boolean;
  /**
   * Add the S3 Batch Operations backfill function and the role its jobs assume. Needs
   * `inventoryBucketName`. @default false
   */
  readonly backfillFunction?: boolean;
  /** The existing bucket holding S3 Inventory reports of the watched buckets (the jobs' manifests). */
  readonly inventoryBucketName?: string;
}

/**
 * The repository's deployable stack: one {@link S3Ingest} with a bucket of its own, plus the
 * existing buckets named in context. The construct's id `Default` keeps the logical ids of the
 * resources as they were before the construct existed, so updating a deployed stack replaces nothing.
 */
export class IngestStack extends Stack {
  readonly ingest: S3Ingest;

  constructor(scope: Construct, id: string, props: IngestStackProps = {}) {
    super(scope, id, props);
    if (props.backfillFunction && !props.inventoryBucketName) {
      throw new Error(
        'backfillFunction needs inventoryBucket: the bucket that holds the S3 Inventory reports Batch Operations reads (-c inventoryBucket=NAME)',
      );
    }
    const imported = (names: readonly string[] | undefined, prefix: string): IBucket[] =>
      (names ?? []).map((name, index) => Bucket.fromBucketName(this, `${prefix}${index}`, name));
    const buckets: WatchedBucket[] = [
      ...imported(props.existingBucketNames, 'WatchedBucket').map((bucket) => ({ bucket })),
      ...imported(props.eventBridgeBucketNames, 'EventBridgeBucket').map((bucket) => ({
        bucket,
        source: 'eventbridge' as const,
      })),
    ];
    const { backfillFunction, inventoryBucketName } = props;
    this.ingest = new S3Ingest(this, 'Default', {
      ...pickConstructProps(props),
      ownBucket: true,
      buckets,
      copyDestination: props.copyDestination ?? false,
      ...(backfillFunction &&
        inventoryBucketName && {
          backfill: { inventoryBucket: Bucket.fromBucketName(this, 'InventoryBucket', inventoryBucketName) },
        }),
    });
  }
}

/** The construct's settings out of the stack's props (the rest are the Stack's own). */
function pickConstructProps(props: IngestStackProps): S3IngestProps {
  return {
    ...(props.ownBucketSource !== undefined && { ownBucketSource: props.ownBucketSource }),
    ...(props.workerTimeout !== undefined && { workerTimeout: props.workerTimeout }),
    ...(props.workerMemorySize !== undefined && { workerMemorySize: props.workerMemorySize }),
    ...(props.batchSize !== undefined && { batchSize: props.batchSize }),
    ...(props.batchingWindow !== undefined && { batchingWindow: props.batchingWindow }),
    ...(props.maxConcurrency !== undefined && { maxConcurrency: props.maxConcurrency }),
    ...(props.maxReceiveCount !== undefined && { maxReceiveCount: props.maxReceiveCount }),
    ...(props.retentionDays !== undefined && { retentionDays: props.retentionDays }),
    ...(props.gsiShardCount !== undefined && { gsiShardCount: props.gsiShardCount }),
    ...(props.maxObjectBytes !== undefined && { maxObjectBytes: props.maxObjectBytes }),
    ...(props.allowedContentTypes !== undefined && { allowedContentTypes: props.allowedContentTypes }),
    ...(props.blockedExtensions !== undefined && { blockedExtensions: props.blockedExtensions }),
    ...(props.contentChecks !== undefined && { contentChecks: props.contentChecks }),
    ...(props.rejectMismatchedTypes !== undefined && { rejectMismatchedTypes: props.rejectMismatchedTypes }),
    ...(props.malwareProtection !== undefined && { malwareProtection: props.malwareProtection }),
    ...(props.scanFailureAction !== undefined && { scanFailureAction: props.scanFailureAction }),
    ...(props.scanTagCheck !== undefined && { scanTagCheck: props.scanTagCheck }),
    ...(props.alarmThresholds !== undefined && { alarmThresholds: props.alarmThresholds }),
    ...(props.alarmEmail !== undefined && { alarmEmail: props.alarmEmail }),
    ...(props.notifyEmail !== undefined && { notifyEmail: props.notifyEmail }),
    ...(props.notifyOn !== undefined && { notifyOn: props.notifyOn }),
    ...(props.eventBus !== undefined && { eventBus: props.eventBus }),
    ...(props.toolOutputs !== undefined && { toolOutputs: props.toolOutputs }),
  };
}
