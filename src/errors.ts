/**
 * Base class of every error raised by s3-ingest, so callers can tell ours from the SDK's.
 */
export class S3IngestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'S3IngestError';
  }
}

/** A required environment variable is missing or holds a value the worker cannot use. */
export class ConfigError extends S3IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/**
 * An SQS message body that is not JSON, or JSON in no envelope the worker recognises.
 * Retrying cannot fix it: the record fails so that it reaches the DLQ for on-call to read.
 */
export class MalformedMessageError extends S3IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedMessageError';
  }
}

/**
 * A malware scan result for an upload whose row is not written yet (the scan was faster than
 * the worker): the record fails, and SQS delivers it again until the row exists or, after
 * `maxReceiveCount` receives, moves it to the DLQ.
 */
export class ScanBeforeUploadError extends S3IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScanBeforeUploadError';
  }
}

/**
 * A clean scan result whose object does not carry GuardDuty's tag yet (`SCAN_TAG_CHECK`): the
 * record fails, and SQS delivers it again until the tag is there or, after `maxReceiveCount`
 * receives, moves it to the DLQ.
 */
export class ScanTagPendingError extends S3IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScanTagPendingError';
  }
}
