/**
 * Metric names and where they are published. Free of side effects, so the CDK stack's alarms and
 * dashboard read the same names the worker emits.
 */

/** `service` dimension of every metric and `service` key of every log line. */
export const SERVICE_NAME = 's3-ingest';

/** CloudWatch namespace of the worker's EMF metrics; the alarms and dashboard read the same. */
export const METRICS_NAMESPACE = 'S3Ingest';

/** Every metric the worker emits. Counts, except `IngestLatency` (milliseconds). */
export const MetricName = {
  ObjectsIngested: 'ObjectsIngested',
  DuplicatesSkipped: 'DuplicatesSkipped',
  ObjectsRejected: 'ObjectsRejected',
  ObjectsGone: 'ObjectsGone',
  ObjectsRemoved: 'ObjectsRemoved',
  StaleEventsIgnored: 'StaleEventsIgnored',
  TestEventsSkipped: 'TestEventsSkipped',
  RecordsFailed: 'RecordsFailed',
  /** Events for buckets the stack does not watch (the copy destination, someone else's bucket): not recorded. */
  ForeignEventsIgnored: 'ForeignEventsIgnored',
  /** Accepted objects recorded without their copy: archived storage class, or no time left to copy. */
  CopiesSkipped: 'CopiesSkipped',
  /** Malware scan results recorded on upload rows (GuardDuty's, or ClamAV's locally). */
  ScansRecorded: 'ScansRecorded',
  /** Scans that found malware: each such object is rejected and never copied. */
  ThreatsFound: 'ThreatsFound',
  /** Scans that did not complete, whose objects the gate holds (`scanFailureAction` hold). */
  ScansHeld: 'ScansHeld',
  /** Uploads still waiting for their scan result when their scan check came (`SCAN_DEADLINE_SECONDS`). */
  ScansOverdue: 'ScansOverdue',
  /** Scan results that let an object through but that GuardDuty's tag on it contradicts: not believed. */
  ScanResultsUntrusted: 'ScanResultsUntrusted',
  IngestLatency: 'IngestLatency',
} as const;

/** Names of the count metrics. */
export type CountMetric = Exclude<keyof typeof MetricName, 'IngestLatency'>;

/** Every count metric, in a stable order. */
export const COUNT_METRICS = Object.keys(MetricName).filter(
  (name) => name !== 'IngestLatency',
) as CountMetric[];
