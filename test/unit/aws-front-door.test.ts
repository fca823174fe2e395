import { describe, expect, it } from 'vitest';
import { describeJsonRequest, describeS3Request } from '../../src/local/lambda/aws-front-door.js';

describe('describeS3Request', () => {
  it('names object reads and the permission each needs, by version', () => {
    expect(describeS3Request('HEAD', '/uploads/a%20b/c.txt', {})).toMatchObject({
      operation: 'HeadObject',
      permissions: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::uploads/a b/c.txt' }],
      whenMissing: { action: 's3:ListBucket', resource: 'arn:aws:s3:::uploads' },
    });
    expect(describeS3Request('HEAD', '/uploads/k?versionId=v1', {}).permissions).toEqual([
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::uploads/k' },
    ]);
  });

  it('names a copy: PutObject on the destination, a read of the source', () => {
    const copy = describeS3Request('PUT', '/dest/uploads/k', {
      'x-amz-copy-source': 'uploads/k%2B1?versionId=v2',
    });
    expect(copy.operation).toBe('CopyObject');
    expect(copy.permissions).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::dest/uploads/k' },
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::uploads/k+1' },
    ]);
  });

  it('names the multipart copy steps and listings', () => {
    expect(describeS3Request('POST', '/d/k?uploads', {}).operation).toBe('CreateMultipartUpload');
    expect(
      describeS3Request('PUT', '/d/k?partNumber=2&uploadId=u', { 'x-amz-copy-source': 'b/k' }).operation,
    ).toBe('UploadPartCopy');
    expect(describeS3Request('POST', '/d/k?uploadId=u', {}).operation).toBe('CompleteMultipartUpload');
    expect(describeS3Request('DELETE', '/d/k?uploadId=u', {}).permissions).toEqual([
      { action: 's3:AbortMultipartUpload', resource: 'arn:aws:s3:::d/k' },
    ]);
    expect(describeS3Request('GET', '/b?versions&prefix=x', {}).permissions).toEqual([
      { action: 's3:ListBucketVersions', resource: 'arn:aws:s3:::b' },
    ]);
    expect(describeS3Request('GET', '/b?list-type=2', {}).operation).toBe('ListObjectsV2');
  });
});

describe('describeJsonRequest', () => {
  it('names DynamoDB calls on their table', () => {
    expect(
      describeJsonRequest('DynamoDB_20120810.UpdateItem', '{"TableName":"upload-log"}', 'eu-west-1'),
    ).toEqual({
      service: 'DynamoDB',
      operation: 'UpdateItem',
      permissions: [
        {
          action: 'dynamodb:UpdateItem',
          resource: 'arn:aws:dynamodb:eu-west-1:000000000000:table/upload-log',
        },
      ],
    });
  });

  it('names SQS calls on their queue, batch forms by the single permission', () => {
    const body = JSON.stringify({
      QueueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/ingest-queue',
    });
    expect(describeJsonRequest('AmazonSQS.DeleteMessageBatch', body, 'us-east-1')).toEqual({
      service: 'SQS',
      operation: 'DeleteMessageBatch',
      permissions: [
        { action: 'sqs:DeleteMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:ingest-queue' },
      ],
    });
  });

  it('leaves other services alone', () => {
    expect(describeJsonRequest('Logs_20140328.PutLogEvents', '{}', 'us-east-1')).toBeUndefined();
  });
});
