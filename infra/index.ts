// The package's public API: `import { S3Ingest } from 's3-ingest'` (or 's3-ingest/infra').

export { EVENTBRIDGE_DETAIL_TYPES } from '../src/core/s3-eventbridge-event.js';
export { BackfillFunction, type BackfillFunctionProps } from './constructs/backfill-function.js';
export { type AlarmThresholds, IngestAlarms, type IngestAlarmsProps } from './constructs/ingest-alarms.js';
export { IngestDashboard, type IngestDashboardProps } from './constructs/ingest-dashboard.js';
export { IngestQueues, type IngestQueuesProps } from './constructs/ingest-queues.js';
export { PrivateBucket, type PrivateBucketProps } from './constructs/private-bucket.js';
export { UploadLogTables } from './constructs/upload-log-tables.js';
export {
  WorkerFunction,
  type WorkerFunctionProps,
  type WorkerSettings,
} from './constructs/worker-function.js';
export { OUTPUT } from './output-names.js';
export {
  type BucketEventSource,
  S3Ingest,
  type S3IngestProps,
  type WatchedBucket,
} from './s3-ingest.js';
