import { S3IngestError } from '../errors.js';

/** A tool cannot do what was asked; the message says why and what to do. Printed without a stack trace. */
export class ToolError extends S3IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ToolError';
  }
}
