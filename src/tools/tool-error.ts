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

/**
 * Whether an error is the command line's fault: ours, or Node's own argument parser's
 * (`ERR_PARSE_ARGS_*`, raised by `parseArgs` for unknown options and missing values).
 */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
