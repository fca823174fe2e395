import { randomUUID } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { listsAllVersions, parseManifest, requireInventoryFields } from './inventory.js';
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
  const manifestObject = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!manifestObject.ETag) throw new ToolError(`${request.manifestUri} has no ETag`);
  const manifest = parseManifest((await manifestObject.Body?.transformToString()) ?? '', request.manifestUri);
  // The function heads each object itself (eTag, size), so it needs the key columns only.
  requireInventoryFields(manifest, request.manifestUri, ['Bucket', 'Key']);
  if (listsAllVersions(manifest)) {
    // A task per version, each with the backfill's sequencer: whichever ends last would set the
    // state row, and every old version would get a row of its own.
    throw new ToolError(
      `${request.manifestUri} is an inventory of all versions: a Batch Operations backfill takes a report of current versions only (IncludedObjectVersions: Current), or backfill from it without --batch-operations (that one keeps the current versions)`,
    );
  }
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
        Location: { ObjectArn: `arn:aws:s3:::${bucket}/${key}`, ETag: manifestObject.ETag.replace(/"/g, '') },
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
