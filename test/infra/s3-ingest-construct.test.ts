import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { S3Ingest, type S3IngestProps } from '../../infra/s3-ingest.js';

// The construct in a bare stack, with an app's default feature flags (no cdk.json): what a team
// gets from `new S3Ingest(stack, 'Ingest')`.

function synth(props?: (stack: Stack) => S3IngestProps): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Bare', { env: { account: '123456789012', region: 'eu-west-1' } });
  new S3Ingest(stack, 'Ingest', props?.(stack));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
  return Template.fromStack(stack);
}

describe('S3Ingest', () => {
  it('with no props, builds a working pipeline around a private bucket of its own, cdk-nag clean', () => {
    const template = synth();
    // Its bucket and the access-log bucket.
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { QueueConfigurations: Match.anyValue() },
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    expect(Object.keys(template.toJSON().Outputs)).toEqual(
      expect.arrayContaining([
        'IngestBucketName',
        'IngestQueueUrl',
        'UploadLogTableName',
        'UploadEventsTopicArn',
      ]),
    );
  });

  it('makes no bucket of its own when given buckets, unless asked', () => {
    const watched = synth((stack) => ({
      buckets: [{ bucket: Bucket.fromBucketName(stack, 'Theirs', 'their-bucket') }],
    }));
    watched.resourceCountIs('AWS::S3::Bucket', 0);
    const both = synth((stack) => ({
      buckets: [{ bucket: Bucket.fromBucketName(stack, 'Theirs', 'their-bucket') }],
      ownBucket: true,
    }));
    both.resourceCountIs('AWS::S3::Bucket', 2);
  });

  it('refuses to watch nothing', () => {
    expect(() => synth(() => ({ ownBucket: false }))).toThrow('S3Ingest needs a bucket to watch');
  });
});
