import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { accountOf, createBackfillJob } from '../../src/tools/batch-job.js';

const s3 = mockClient(S3Client);
const s3control = mockClient(S3ControlClient);
afterEach(() => {
  s3.reset();
  s3control.reset();
});
afterAll(() => {
  s3.restore();
  s3control.restore();
});

/** A manifest of an inventory with these fields, as GetObject answers it. */
const manifestAnswer = (fileSchema: string) => ({
  ETag: '"manifest-etag"',
  Body: {
    transformToString: async () =>
      JSON.stringify({
        sourceBucket: 'uploads',
        destinationBucket: 'arn:aws:s3:::team-inventory',
        fileFormat: 'CSV',
        fileSchema,
        files: [{ key: 'uploads/all/data/a.csv.gz', size: 10 }],
      }),
  } as never,
});
const REQUEST = {
  manifestUri: 's3://team-inventory/uploads/all/2026-11-29T00-00Z/manifest.json',
  functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:backfill',
  roleArn: 'arn:aws:iam::123456789012:role/s3-ingest-batch',
  reportBucket: 'team-inventory',
  reportPrefix: 'batch-operations-reports',
};

describe('the S3 Batch Operations backfill job', () => {
  it('refuses an inventory of all versions before creating a job: one task per version would record old ones', async () => {
    s3.on(GetObjectCommand).resolves(
      manifestAnswer('Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, ETag'),
    );
    await expect(
      createBackfillJob(
        new S3Client({ region: 'eu-west-1' }),
        new S3ControlClient({ region: 'eu-west-1' }),
        REQUEST,
      ),
    ).rejects.toThrow(/inventory of all versions/);
    expect(s3control.commandCalls(CreateJobCommand)).toHaveLength(0);
  });

  it("runs the stack's function over the inventory manifest (by ARN and ETag), reporting failed tasks", async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves(manifestAnswer('Bucket, Key, VersionId, Size, ETag'));
    s3control.on(CreateJobCommand).resolves({ JobId: 'job-123' });
    // Act
    const jobId = await createBackfillJob(
      new S3Client({ region: 'eu-west-1' }),
      new S3ControlClient({ region: 'eu-west-1' }),
      {
        manifestUri: 's3://team-inventory/uploads/all/2026-11-29T00-00Z/manifest.json',
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:backfill',
        roleArn: 'arn:aws:iam::123456789012:role/s3-ingest-batch',
        reportBucket: 'team-inventory',
        reportPrefix: 'batch-operations-reports',
      },
    );
    // Assess
    expect(jobId).toBe('job-123');
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'team-inventory',
      Key: 'uploads/all/2026-11-29T00-00Z/manifest.json',
    });
    expect(s3control.commandCalls(CreateJobCommand)[0]?.args[0].input).toMatchObject({
      AccountId: '123456789012',
      ConfirmationRequired: false,
      RoleArn: 'arn:aws:iam::123456789012:role/s3-ingest-batch',
      Operation: {
        LambdaInvoke: {
          FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:backfill',
          InvocationSchemaVersion: '2.0',
        },
      },
      Manifest: {
        Spec: { Format: 'S3InventoryReport_CSV_20161130' },
        Location: {
          ObjectArn: 'arn:aws:s3:::team-inventory/uploads/all/2026-11-29T00-00Z/manifest.json',
          ETag: 'manifest-etag',
        },
      },
      Report: {
        Enabled: true,
        Bucket: 'arn:aws:s3:::team-inventory',
        Prefix: 'batch-operations-reports',
        ReportScope: 'FailedTasksOnly',
      },
    });
  });

  it('reads the account from the role ARN, and refuses anything else', () => {
    expect(accountOf('arn:aws:iam::123456789012:role/x')).toBe('123456789012');
    expect(() => accountOf('not-an-arn')).toThrow('cannot read the account');
  });
});
