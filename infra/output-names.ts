/**
 * Names of the stack's CloudFormation outputs. The tools find a deployed stack's resources by
 * these keys from the stack name alone; this module imports nothing from CDK so they can share it.
 */
export const OUTPUT = {
  ingestBucket: 'IngestBucketName',
  watchedBuckets: 'WatchedBucketNames',
  copyDestinationBucket: 'CopyDestinationBucketName',
  ingestQueueUrl: 'IngestQueueUrl',
  ingestQueueArn: 'IngestQueueArn',
  dlqUrl: 'DeadLetterQueueUrl',
  dlqArn: 'DeadLetterQueueArn',
  uploadLogTable: 'UploadLogTableName',
  idempotencyTable: 'IdempotencyTableName',
  workerFunction: 'WorkerFunctionName',
  alarmTopic: 'AlarmTopicArn',
  dashboard: 'DashboardName',
  uploadEventsTopic: 'UploadEventsTopicArn',
  uploadEventsBus: 'UploadEventsBusName',
  gsiShardCount: 'GsiShardCount',
  backfillFunctionArn: 'BackfillFunctionArn',
  batchOperationsRoleArn: 'BatchOperationsRoleArn',
  inventoryBucket: 'InventoryBucketName',
} as const;

/** Prefix of the inventory bucket under which Batch Operations writes backfill jobs' completion reports. */
export const BATCH_REPORT_PREFIX = 'batch-operations-reports';
