import { S3IngestError } from '../errors.js';

/** A tool cannot do what was asked; the message says why and what to do. Printed without a stack trace. */
export class ToolError extends S3IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ToolError';
  }
}

/** The command line was wrong (a flag, a value, a missing argument): exit code 2, as for usage errors. */
export class UsageError extends ToolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
