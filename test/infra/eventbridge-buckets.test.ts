import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../src/core/event-pattern.js';
import { buildEventBridgeS3Event } from '../../src/core/s3-eventbridge-event.js';
import { isAllowed, type PolicyStatement, resolve } from './policy-evaluator.js';
import { buildStack } from './synth.js';

// Buckets heard through EventBridge: the stack's own bucket (EventBridge turned on by the stack),
// an existing bucket whose owner turns it on, beside an existing bucket heard by notifications.

const { stack } = buildStack({
  ownBucketSource: 'eventbridge',
  eventBridgeBucketNames: ['team-b-uploads'],
  existingBucketNames: ['team-a-uploads'],
});
type Resource = { Type: string; Properties?: Record<string, unknown> };
const template = Template.fromStack(stack).toJSON() as {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
};
const resources = (type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const ownBucket = String(resolve(template.Outputs.IngestBucketName?.Value)).replace(/^ref:/, '');
const queueId = resources('AWS::SQS::Queue').find(([id]) => id.startsWith('QueuesQueue'))?.[0] ?? '';
const dlqId = resources('AWS::SQS::Queue').find(([id]) => id.startsWith('QueuesDeadLetterQueue'))?.[0] ?? '';
const rules = resources('AWS::Events::Rule');

/** A change of `bucket` as EventBridge carries it, the bucket named as the template names it. */
const eventOf = (bucket: string, eventName = 'ObjectCreated:Put') =>
  buildEventBridgeS3Event(
    {
      eventName,
      bucket,
      key: 'a b.txt',
      eTag: 'e',
      size: 1,
      eventTime: new Date(),
      sequencer: '01',
      principalId: '123456789012',
      sourceIp: '198.51.100.4',
      requestId: 'r',
      region: 'eu-west-1',
    },
    '123456789012',
    'id',
  );

const statementsOfPolicyOn = (queueLogicalId: string): PolicyStatement[] =>
  resources('AWS::SQS::QueuePolicy')
    .filter(([, policy]) =>
      JSON.stringify(resolve(policy.Properties?.Queues)).includes(`ref:${queueLogicalId}`),
    )
    .flatMap(
      ([, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement?: PolicyStatement[] } | undefined)?.Statement ?? [],
    );

describe('buckets heard through EventBridge', () => {
  it('has one rule per EventBridge bucket, admitting only its created and deleted objects', () => {
    expect(rules).toHaveLength(2);
    const patterns = rules.map(
      ([, rule]) => resolve(rule.Properties?.EventPattern) as Record<string, unknown>,
    );
    const admitted = (event: Record<string, unknown>) =>
      patterns.filter((pattern) => matchesEventPattern(pattern, event)).length;
    // The own bucket is named by its logical id until deploy time.
    for (const bucket of [`ref:${ownBucket}`, 'team-b-uploads']) {
      expect(admitted(eventOf(bucket))).toBe(1);
      expect(admitted(eventOf(bucket, 'ObjectRemoved:Delete'))).toBe(1);
      expect(admitted(eventOf(bucket, 'ObjectRemoved:DeleteMarkerCreated'))).toBe(1);
      expect(admitted({ ...eventOf(bucket), 'detail-type': 'Object Restore Completed' })).toBe(0);
    }
    // The notifications bucket sends nothing through EventBridge; nor does any other bucket.
    expect(admitted(eventOf('team-a-uploads'))).toBe(0);
    expect(admitted(eventOf('someone-elses-bucket'))).toBe(0);
  });

  it('sends to the ingest queue, and what the queue refuses to the DLQ', () => {
    for (const [, rule] of rules) {
      const targets = resolve(rule.Properties?.Targets) as {
        Arn: string;
        DeadLetterConfig?: { Arn: string };
        RetryPolicy?: { MaximumEventAgeInSeconds: number };
      }[];
      expect(targets).toEqual([
        expect.objectContaining({
          Arn: `getatt:${queueId}.Arn`,
          DeadLetterConfig: { Arn: `getatt:${dlqId}.Arn` },
          RetryPolicy: expect.objectContaining({ MaximumEventAgeInSeconds: 86_400 }),
        }),
      ]);
    }
  });

  it('the queue policy admits EventBridge for these rules only, and S3 for the notifications bucket only', () => {
    const statements = statementsOfPolicyOn(queueId);
    const send = (service: string, sourceArn: string) =>
      isAllowed(statements, {
        service,
        action: 'sqs:SendMessage',
        resource: `getatt:${queueId}.Arn`,
        keys: {
          'aws:SourceArn': sourceArn,
          'aws:SourceAccount': '123456789012',
          'aws:SecureTransport': 'true',
        },
      });
    for (const [id] of rules) expect(send('events.amazonaws.com', `getatt:${id}.Arn`)).toBe(true);
    expect(send('events.amazonaws.com', 'arn:aws:events:eu-west-1:123456789012:rule/another-rule')).toBe(
      false,
    );
    expect(send('s3.amazonaws.com', 'arn:aws:s3:::team-a-uploads')).toBe(true);
    expect(send('s3.amazonaws.com', 'arn:aws:s3:::team-b-uploads')).toBe(false);
    expect(send('s3.amazonaws.com', `getatt:${ownBucket}.Arn`)).toBe(false);
    // The DLQ takes the events EventBridge could not deliver, from these rules only.
    const dlqStatements = statementsOfPolicyOn(dlqId);
    const toDlq = (sourceArn: string) =>
      isAllowed(dlqStatements, {
        service: 'events.amazonaws.com',
        action: 'sqs:SendMessage',
        resource: `getatt:${dlqId}.Arn`,
        keys: { 'aws:SourceArn': sourceArn, 'aws:SecureTransport': 'true' },
      });
    for (const [id] of rules) expect(toDlq(`getatt:${id}.Arn`)).toBe(true);
    expect(toDlq('arn:aws:events:eu-west-1:123456789012:rule/another-rule')).toBe(false);
  });

  it("turns EventBridge on for the stack's own bucket, and never writes the imported bucket's configuration", () => {
    const configurations = resources('Custom::S3BucketNotifications').map(([, resource]) => ({
      bucket: resolve(resource.Properties?.BucketName),
      configuration: resource.Properties?.NotificationConfiguration as Record<string, unknown>,
    }));
    expect(configurations).toContainEqual({
      bucket: `ref:${ownBucket}`,
      configuration: { EventBridgeConfiguration: {} },
    });
    expect(configurations.find((entry) => entry.bucket === 'team-a-uploads')?.configuration).toHaveProperty(
      'QueueConfigurations',
    );
    expect(configurations.map((entry) => entry.bucket)).not.toContain('team-b-uploads');
  });

  it('the worker records every one of the three buckets', () => {
    const worker = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('WorkerFunction'))?.[1];
    const environment = worker?.Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    const variables = environment?.Variables ?? {};
    expect(String(resolve(variables.WATCHED_BUCKETS))).toBe(
      [`ref:${ownBucket}`, 'team-a-uploads', 'team-b-uploads'].join(','),
    );
  });

  it('passes cdk-nag', () => {
    expect(() =>
      buildStack({ ownBucketSource: 'eventbridge', eventBridgeBucketNames: ['team-b-uploads'] }).app.synth(),
    ).not.toThrow();
  });
});
