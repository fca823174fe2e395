import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { ToolError } from './tool-error.js';
import { parseS3Uri } from './upload-queries.js';

/** What a Batch Operations backfill job is made of: the stack's function, role and inventory bucket. */
export interface BatchJobRequest {
  /** `s3://bucket/path/manifest.json` of an S3 Inventory report (CSV). */
  readonly manifestUri: string;
  readonly functionArn: string;
  readonly roleArn: string;
  /** Where the job writes its completion report (the stack's inventory bucket). */
  readonly reportBucket: string;
  readonly reportPrefix: string;
}

/** The account a role ARN belongs to: `arn:aws:iam::123456789012:role/...` gives 123456789012. */
export function accountOf(roleArn: string): string {
  const account = roleArn.split(':')[4];
  if (!account || !/^\d{12}$/.test(account))
    throw new ToolError(`cannot read the account of role ${roleArn}`);
  return account;
}

/**
 * Creates an S3 Batch Operations job that invokes the stack's backfill function (schema 2.0) on
 * every object of an S3 Inventory report, and reports failed tasks under `reportPrefix`. Runs at
 * once (no confirmation).
 *
 * @returns the job's id
 */
export async function createBackfillJob(
  s3: S3Client,
  s3control: S3ControlClient,
  request: BatchJobRequest,
): Promise<string> {
  const { bucket, key } = parseS3Uri(request.manifestUri);
  // The job names its manifest by ARN and ETag, so a manifest rewritten meanwhile is refused, not half-read.
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (!head.ETag) throw new ToolError(`${request.manifestUri} has no ETag`);
  const answer = await s3control.send(
    new CreateJobCommand({
      AccountId: accountOf(request.roleArn),
      ConfirmationRequired: false,
      ClientRequestToken: randomUUID(),
      Description: `s3-ingest backfill from ${request.manifestUri}`.slice(0, 256),
      Priority: 10,
      RoleArn: request.roleArn,
      Operation: { LambdaInvoke: { FunctionArn: request.functionArn, InvocationSchemaVersion: '2.0' } },
      Manifest: {
        Spec: { Format: 'S3InventoryReport_CSV_20161130' },
        Location: { ObjectArn: `arn:aws:s3:::${bucket}/${key}`, ETag: head.ETag.replace(/"/g, '') },
      },
      Report: {
        Enabled: true,
        Bucket: `arn:aws:s3:::${request.reportBucket}`,
        Prefix: request.reportPrefix,
        Format: 'Report_CSV_20180820',
        ReportScope: 'FailedTasksOnly',
      },
    }),
  );
  if (!answer.JobId) throw new ToolError('CreateJob returned no job id');
  return answer.JobId;
}
