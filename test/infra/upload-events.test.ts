import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { actionsOf, iamStatements, templateOf } from './synth.js';

// The upload events in the template: the log's stream, the publisher on it, its topic, DLQ,
// alarms, and a role with exactly the calls it makes.

const template: Template = templateOf({ notifyEmail: 'team@example.com', notifyOn: ['REJECTED'] });
const resources = (type: string) => Object.entries(template.findResources(type));

describe('upload events', () => {
  it('streams the upload log with the row before and after each change', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([Match.objectLike({ AttributeName: 'pk' })]),
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('reads the stream from the trim horizon, without TTL deletions, bisecting and resuming on failure, to a DLQ', () => {
    const [[, mapping] = []] = resources('AWS::Lambda::EventSourceMapping').filter(([, resource]) =>
      JSON.stringify(resource.Properties.EventSourceArn).includes('StreamArn'),
    );
    expect(mapping?.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRecordAgeInSeconds: 86_400,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'] }) }] },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [expect.stringMatching(/^UploadEventsDeadLetterQueue/), 'Arn'] },
        },
      },
    });
  });

  it('gives the publisher only the stream calls, Publish on its topic and key, and its DLQ', () => {
    const statements = iamStatements(template, 'UploadEventsRole');
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const streamStatement = statements.find((statement) =>
      actionsOf(statement).includes('dynamodb:GetRecords'),
    );
    expect(JSON.stringify(streamStatement?.Resource)).toContain('StreamArn');
    const publish = statements.find((statement) => actionsOf(statement).includes('sns:Publish'));
    expect(publish?.Resource).toEqual({ Ref: expect.stringMatching(/^UploadEventsTopic/) });
  });

  it('publishes to an encrypted, TLS-only topic, and mails the filtered statuses when asked', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UploadEventsTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'team@example.com',
      FilterPolicy: { status: ['REJECTED'] },
      TopicArn: { Ref: Match.stringLikeRegexp('^UploadEventsTopic') },
    });
    expect(template.toJSON().Outputs.UploadEventsTopicArn.Value).toEqual({
      Ref: expect.stringMatching(/^UploadEventsTopic/),
    });
  });

  it('passes cdk-nag with the email subscription', () => {
    expect(() => templateOf({ notifyEmail: 'team@example.com' })).not.toThrow();
  });

  it('puts the events on a custom bus when asked, with PutEvents on that bus only', () => {
    const withBus = templateOf({ eventBus: true });
    withBus.resourceCountIs('AWS::Events::EventBus', 1);
    const putEvents = iamStatements(withBus, 'UploadEventsRole').filter((statement) =>
      actionsOf(statement).includes('events:PutEvents'),
    );
    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^UploadEventsBus/), 'Arn'],
    });
    withBus.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          UPLOAD_EVENTS_BUS_NAME: { Ref: Match.stringLikeRegexp('^UploadEventsBus') },
        }),
      },
    });
    expect(withBus.toJSON().Outputs.UploadEventsBusName).toBeDefined();
    expect(template.toJSON().Outputs.UploadEventsBusName).toBeUndefined();
    template.resourceCountIs('AWS::Events::EventBus', 0);
  });
});
