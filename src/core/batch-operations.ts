import { decodeS3EventKey } from './s3-key.js';

/** One object S3 Batch Operations asks the backfill function to enqueue. */
export interface BatchTask {
  readonly taskId: string;
  readonly bucket: string;
  /** URL-decoded. */
  readonly key: string;
  readonly versionId?: string;
}

/** A Batch Operations invocation, schema 1.0 or 2.0, in one shape. */
export interface BatchInvocation {
  readonly schemaVersion: '1.0' | '2.0';
  readonly invocationId: string;
  readonly tasks: readonly BatchTask[];
}

/** How one task ended: Batch Operations retries `TemporaryFailure` and reports the others. */
export type BatchResultCode = 'Succeeded' | 'TemporaryFailure' | 'PermanentFailure';

/** The answer Batch Operations expects from the function. */
export interface BatchResponse {
  readonly invocationSchemaVersion: string;
  readonly treatMissingKeysAs: BatchResultCode;
  readonly invocationId: string;
  readonly results: readonly { taskId: string; resultCode: BatchResultCode; resultString: string }[];
}

type Json = Record<string, unknown>;

/**
 * Reads a Batch Operations LambdaInvoke event: schema 1.0 names the bucket by ARN (`s3BucketArn`),
 * 2.0 by name (`s3Bucket`); keys arrive URL-encoded.
 *
 * @throws {Error} for an event of neither schema
 */
export function parseBatchInvocation(event: unknown): BatchInvocation {
  const json = (event ?? {}) as Json;
  const schemaVersion = json.invocationSchemaVersion;
  if (schemaVersion !== '1.0' && schemaVersion !== '2.0') {
    throw new Error(
      `not an S3 Batch Operations event: invocationSchemaVersion ${JSON.stringify(schemaVersion)}`,
    );
  }
  if (typeof json.invocationId !== 'string' || !Array.isArray(json.tasks)) {
    throw new Error('not an S3 Batch Operations event: no invocationId or tasks');
  }
  const tasks = (json.tasks as Json[]).map((task): BatchTask => {
    const bucket =
      typeof task.s3Bucket === 'string'
        ? task.s3Bucket
        : String(task.s3BucketArn ?? '').replace(/^arn:aws[a-z-]*:s3:::/, '');
    const versionId =
      typeof task.s3VersionId === 'string' && task.s3VersionId !== '' ? task.s3VersionId : undefined;
    return {
      taskId: String(task.taskId ?? ''),
      bucket,
      key: decodeS3EventKey(String(task.s3Key ?? '')),
      ...(versionId && versionId !== 'null' && { versionId }),
    };
  });
  return { schemaVersion, invocationId: json.invocationId, tasks };
}

/** The response for an invocation, task results in order. */
export function batchResponse(
  invocation: BatchInvocation,
  results: readonly { taskId: string; resultCode: BatchResultCode; resultString: string }[],
): BatchResponse {
  return {
    invocationSchemaVersion: invocation.schemaVersion,
    treatMissingKeysAs: 'PermanentFailure',
    invocationId: invocation.invocationId,
    results,
  };
}
