import { describe, expect, it } from 'vitest';
import {
  type CfnTemplate,
  localWorkerEnvironment,
  workerSettingsOf,
} from '../../src/local/lambda/template-settings.js';
import { DEFAULT_RESOURCE_NAMES } from '../../src/local/resources.js';

const template = (mapping: Record<string, unknown> = {}): CfnTemplate => ({
  Resources: {
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Timeout: 45,
        MemorySize: 512,
        Environment: { Variables: { UPLOAD_LOG_TABLE: { Ref: 'Table' }, MAX_OBJECT_BYTES: '100' } },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'Fn' },
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        BatchSize: 25,
        MaximumBatchingWindowInSeconds: 2,
        ScalingConfig: { MaximumConcurrency: 7 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ...mapping,
      },
    },
    Queue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        VisibilityTimeout: 272,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 4 },
      },
    },
    Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600 } },
  },
});

describe('workerSettingsOf', () => {
  it('reads the function, its event source mapping, its queue and the DLQ', () => {
    expect(workerSettingsOf(template())).toEqual({
      functionLogicalId: 'Fn',
      roleLogicalId: 'FnRole',
      runtime: 'nodejs24.x',
      handler: 'index.handler',
      environment: { UPLOAD_LOG_TABLE: { Ref: 'Table' }, MAX_OBJECT_BYTES: '100' },
      timeoutSeconds: 45,
      memorySize: 512,
      logging: { format: 'Text' },
      eventSource: {
        batchSize: 25,
        maximumBatchingWindowSeconds: 2,
        maximumConcurrency: 7,
        reportBatchItemFailures: true,
      },
      queue: {
        logicalId: 'Queue',
        visibilityTimeoutSeconds: 272,
        maxReceiveCount: 4,
        retentionSeconds: 345_600,
      },
      deadLetterQueue: { logicalId: 'Dlq', retentionSeconds: 1_209_600 },
    });
  });

  it("takes Lambda's defaults for what the mapping leaves out", () => {
    const settings = workerSettingsOf(
      template({
        FunctionResponseTypes: undefined,
        ScalingConfig: undefined,
        MaximumBatchingWindowInSeconds: undefined,
      }),
    );
    expect(settings.eventSource).toMatchObject({
      reportBatchItemFailures: false,
      maximumConcurrency: 1250,
      maximumBatchingWindowSeconds: 0,
    });
  });

  it('refuses a template without exactly one event source mapping', () => {
    const none: CfnTemplate = { Resources: { Fn: { Type: 'AWS::Lambda::Function' } } };
    expect(() => workerSettingsOf(none)).toThrow('expected one SQS event source mapping, found 0');
  });
});

describe('localWorkerEnvironment', () => {
  it('puts the local names where the template has names made at deploy time', () => {
    expect(
      localWorkerEnvironment(
        {
          UPLOAD_LOG_TABLE: { Ref: 'Table' },
          COPY_DESTINATION_BUCKET: { Ref: 'Copy' },
          MAX_OBJECT_BYTES: '100',
        },
        DEFAULT_RESOURCE_NAMES,
      ),
    ).toEqual({
      UPLOAD_LOG_TABLE: DEFAULT_RESOURCE_NAMES.uploadLogTable,
      COPY_DESTINATION_BUCKET: DEFAULT_RESOURCE_NAMES.copyDestinationBucket,
      MAX_OBJECT_BYTES: '100',
    });
  });

  it('names a deploy-time value the local stack has nothing for', () => {
    expect(() => localWorkerEnvironment({ ALARM_TOPIC: { Ref: 'Topic' } }, DEFAULT_RESOURCE_NAMES)).toThrow(
      /ALARM_TOPIC to a value made at deploy time/,
    );
  });
});
