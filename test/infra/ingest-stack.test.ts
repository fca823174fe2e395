import { Match, type Template } from 'aws-cdk-lib/assertions';
import { BlockPublicAccess, Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT } from '../../infra/output-names.js';
import { alarmSpecs, DASHBOARD_GRAPHS } from '../../src/dashboard-definition.js';
import { actionsOf, buildStack, FULL_CONFIGURATION, iamStatements, templateOf } from './synth.js';

let template: Template;
let full: Template;

beforeAll(() => {
  template = templateOf();
  full = templateOf(FULL_CONFIGURATION);
});

describe('cdk-nag', () => {
  it('passes the AWS Solutions and Serverless packs, in the default and the full configuration', () => {
    expect(() => buildStack().app.synth()).not.toThrow();
    expect(() =>
      buildStack({
        existingBucketNames: ['a-bucket'],
        copyDestination: true,
        alarmEmail: 'x@example.com',
      }).app.synth(),
    ).not.toThrow();
  });

  it('fails synthesis on an unacknowledged finding', () => {
    const { app, stack } = buildStack();
    new Bucket(stack, 'Careless', { blockPublicAccess: BlockPublicAccess.BLOCK_ACLS });
    expect(() => app.synth()).toThrow();
  });
});

describe('buckets', () => {
  it('blocks all public access, encrypts, versions and logs access on every bucket', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets).length).toBeGreaterThanOrEqual(2);
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('aborts incomplete multipart uploads after a day on every bucket, the copy destination included', () => {
    const rule = {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    };
    full.allResourcesProperties('AWS::S3::Bucket', rule);
    expect(Object.keys(full.findResources('AWS::S3::Bucket', { Properties: rule })).join()).toMatch(
      /CopyDestination/,
    );
  });

  it('denies every request without TLS on every bucket', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies.length).toBe(Object.keys(template.findResources('AWS::S3::Bucket')).length);
    for (const policy of policies) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('notifies the ingest queue of ObjectCreated and ObjectRemoved, for existing buckets too', () => {
    const queueArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueuesQueue'), 'Arn'] };
    const expected = {
      NotificationConfiguration: {
        QueueConfigurations: Match.arrayWith([
          Match.objectLike({ Events: ['s3:ObjectCreated:*'], QueueArn: queueArn }),
          Match.objectLike({ Events: ['s3:ObjectRemoved:*'], QueueArn: queueArn }),
        ]),
      },
    };
    template.resourcePropertiesCountIs('Custom::S3BucketNotifications', expected, 1);
    full.resourcePropertiesCountIs('Custom::S3BucketNotifications', expected, 2);
    full.hasResourceProperties('Custom::S3BucketNotifications', {
      ...expected,
      BucketName: 'team-a-uploads',
    });
  });

  it('creates the copy destination only when asked, private like the rest', () => {
    expect(template.findOutputs(OUTPUT.copyDestinationBucket)).toEqual({});
    expect(Object.keys(full.findOutputs(OUTPUT.copyDestinationBucket))).toHaveLength(1);
    expect(Object.keys(full.findResources('AWS::S3::Bucket')).length).toBe(
      Object.keys(template.findResources('AWS::S3::Bucket')).length + 1,
    );
  });
});

describe('queues', () => {
  it('encrypts both queues and keeps DLQ messages 14 days', () => {
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600 });
  });

  it('redrives to the DLQ after maxReceiveCount, 5 by default', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    full.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });

  it('sets the visibility timeout to 6x the function timeout plus the batching window', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 30 + 1 });
    full.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 60 + 5 });
  });

  it('admits S3 only for the watched buckets of this account, and only over TLS', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const statements = policies.flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const fromS3 = statements.filter((s) => JSON.stringify(s.Principal).includes('s3.amazonaws.com'));
    expect(fromS3.length).toBeGreaterThan(0);
    for (const statement of fromS3) {
      expect(statement.Condition).toMatchObject({
        ArnLike: { 'aws:SourceArn': expect.anything() },
        StringEquals: { 'aws:SourceAccount': '123456789012' },
      });
    }
    expect(
      statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s).includes('aws:SecureTransport')),
    ).toBe(true);
  });
});

describe('worker', () => {
  it('runs the bundled handler on Node.js 24, arm64, with an explicit log group and tracing', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue(), LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          UPLOAD_LOG_TABLE: Match.anyValue(),
          IDEMPOTENCY_TABLE: Match.anyValue(),
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('passes worker settings under the names the runtime config validates', () => {
    full.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          RETENTION_DAYS: '365',
          BLOCKED_EXTENSIONS: 'exe,bat',
          COPY_DESTINATION_BUCKET: Match.anyValue(),
          // The stack's own bucket (made at deploy) and the existing one: events of others are ignored.
          WATCHED_BUCKETS: {
            'Fn::Join': [',', [{ Ref: Match.stringLikeRegexp('^IngestBucket') }, 'team-a-uploads']],
          },
        }),
      },
    });
  });

  it('reports partial batch failures, with configurable batch size, window and concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 50 },
    });
    full.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it('rejects a maximum concurrency SQS event sources do not allow', () => {
    expect(() => buildStack({ maxConcurrency: 1 })).toThrow(
      'maxConcurrency must be a whole number from 2 to 1000',
    );
  });
});

describe('tables', () => {
  it('keeps the upload log: on demand, PITR, TTL, byBucketDay index, retained and protected', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'byBucketDay',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
          }),
        ],
      }),
    });
  });

  it('gives the idempotency table an id key and TTL on expiration', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });
});

describe('least privilege', () => {
  it('uses no wildcard action anywhere', () => {
    for (const statement of iamStatements(full)) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
    }
  });

  it('uses Resource "*" only for X-Ray and ListStreams, which support nothing narrower', () => {
    const starred = iamStatements(full).filter((s) => s.Resource === '*');
    expect([...new Set(starred.flatMap(actionsOf))].sort()).toEqual([
      'dynamodb:ListStreams',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('lets the worker only read watched buckets, write the copy destination, and write its tables', () => {
    const worker = iamStatements(full, 'WorkerRole');
    const actions = new Set(worker.flatMap(actionsOf));
    const s3Actions = [...actions].filter((a) => a.startsWith('s3:')).sort();
    expect(s3Actions).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
    const multipartUploads = worker.filter((s) => actionsOf(s).includes('s3:ListBucketMultipartUploads'));
    expect(JSON.stringify(multipartUploads)).toMatch(/CopyDestination/);
    expect(JSON.stringify(multipartUploads)).not.toMatch(/IngestBucket/);
    const dynamoActions = [...actions].filter((a) => a.startsWith('dynamodb:')).sort();
    expect(dynamoActions).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    // GetItem on the idempotency table only (Powertools' documented read), never on the log.
    const getItem = worker.filter((s) => actionsOf(s).includes('dynamodb:GetItem'));
    expect(JSON.stringify(getItem)).toMatch(/TablesIdempotency/);
    expect(JSON.stringify(getItem)).not.toMatch(/TablesUploadLog/);
    const putObject = worker.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(JSON.stringify(putObject)).toMatch(/CopyDestination/);
    expect(JSON.stringify(putObject)).not.toMatch(/IngestBucket/);
    const deleteItem = worker.filter((s) => actionsOf(s).includes('dynamodb:DeleteItem'));
    expect(JSON.stringify(deleteItem)).toMatch(/TablesIdempotency/);
    expect(JSON.stringify(deleteItem)).not.toMatch(/TablesUploadLog/);
  });

  it('attaches no AWS managed policy to the worker', () => {
    full.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });
});

describe('alarms and dashboard', () => {
  const alarmMetrics = (t: Template) =>
    Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => {
      const p = (a as { Properties: Record<string, unknown> }).Properties;
      return `${p.Namespace}/${p.MetricName}`;
    });

  it('alarms on the DLQ, queue age, worker errors and throttles, failed records, latency, DynamoDB throttles and malware', () => {
    expect(alarmMetrics(template).sort()).toEqual(
      [
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/SQS/ApproximateAgeOfOldestMessage',
        'AWS/Lambda/Errors',
        'AWS/Lambda/Throttles',
        'S3Ingest/RecordsFailed',
        'S3Ingest/IngestLatency',
        'AWS/DynamoDB/WriteThrottleEvents',
        'AWS/DynamoDB/WriteThrottleEvents',
        // The upload events: their DLQ, the publisher's errors, and how far it lags the log.
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/Lambda/Errors',
        'AWS/Lambda/IteratorAge',
        // Malware scans that found a threat, or did not complete (zero without malwareProtection).
        'S3Ingest/ThreatsFound',
        'S3Ingest/ScansHeld',
        'S3Ingest/ScansOverdue',
        'S3Ingest/ScanResultsUntrusted',
      ].sort(),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IngestLatency',
      ExtendedStatistic: 'p99',
    });
    full.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 120,
    });
  });

  it('sends every alarm to one encrypted, TLS-only topic, with an optional email subscription', () => {
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toContain('aws:SecureTransport');
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    full.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('shows rates, latency, queues, DLQ, worker, DynamoDB and alarm states on one dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const needle of [
      'ObjectsIngested',
      'DuplicatesSkipped',
      'ObjectsRejected',
      'RecordsFailed',
      'CopiesSkipped',
      'IngestLatency',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
      'Duration',
      'Throttles',
      'ConcurrentExecutions',
      'ConsumedWriteCapacityUnits',
      'WriteThrottleEvents',
      '\\"alarms\\"',
    ]) {
      expect(body).toContain(needle);
    }
  });

  it('draws the graphs and raises the alarms of the definition the console shares, in its order', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    if (!dashboard) throw new Error('no dashboard');
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = parts.map((part) => (typeof part === 'string' ? part : '"REF"')).join('');
    const titles = [...body.matchAll(/"title":"([^"]+)"/g)].map((match) => match[1]);
    expect(titles).toEqual(['Alarms', ...DASHBOARD_GRAPHS.map((graph) => graph.title)]);
    for (const graph of DASHBOARD_GRAPHS) {
      for (const series of [...graph.left, ...graph.right]) expect(body).toContain(`"${series.metric}"`);
    }
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    for (const spec of alarmSpecs()) expect(alarms.some((id) => id.includes(spec.name))).toBe(true);
    // One per alarm, the table alarm once per table (the upload log and the idempotency table), and
    // the upload events' three.
    expect(alarms).toHaveLength(alarmSpecs().length + 1 + 3);
  });
});

describe('outputs', () => {
  it('names every resource the tools need', () => {
    const optional = [
      OUTPUT.copyDestinationBucket,
      OUTPUT.backfillFunctionArn,
      OUTPUT.batchOperationsRoleArn,
      OUTPUT.inventoryBucket,
      OUTPUT.uploadEventsBus,
    ];
    for (const name of Object.values(OUTPUT).filter((n) => !(optional as string[]).includes(n))) {
      expect(Object.keys(template.findOutputs(name))).toEqual([name]);
    }
  });
});

describe('the optional S3 Batch Operations backfill function', () => {
  let withBackfill: Template;
  beforeAll(() => {
    withBackfill = templateOf({ backfillFunction: true, inventoryBucketName: 'team-inventory' });
  });

  it('is absent by default, and needs the inventory bucket when asked for', () => {
    expect(Object.keys(template.findOutputs(OUTPUT.backfillFunctionArn))).toEqual([]);
    expect(() => buildStack({ backfillFunction: true })).toThrow('backfillFunction needs inventoryBucket');
  });

  it('enqueues on the ingest queue and heads watched objects, nothing more', () => {
    const statements = iamStatements(withBackfill, 'BackfillRole');
    const actions = [...new Set(statements.flatMap(actionsOf))].sort();
    expect(actions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const send = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(JSON.stringify(send)).toMatch(/QueuesQueue/);
    withBackfill.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({ INGEST_QUEUE_URL: { Ref: Match.stringLikeRegexp('^QueuesQueue') } }),
      },
    });
  });

  it('gives Batch Operations a role that may invoke only this function, read the inventory bucket, and write reports under one prefix', () => {
    withBackfill.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'batchoperations.s3.amazonaws.com' } })],
      }),
    });
    const statements = iamStatements(withBackfill, 'BackfillBatchOperationsRole');
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual([
      'lambda:InvokeFunction',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:PutObject',
    ]);
    const put = statements.find((s) => actionsOf(s).includes('s3:PutObject'));
    expect(JSON.stringify(put?.Resource)).toContain('team-inventory/batch-operations-reports/*');
    for (const name of [OUTPUT.backfillFunctionArn, OUTPUT.batchOperationsRoleArn, OUTPUT.inventoryBucket]) {
      expect(Object.keys(withBackfill.findOutputs(name))).toEqual([name]);
    }
  });

  it('passes cdk-nag', () => {
    expect(() =>
      buildStack({
        backfillFunction: true,
        inventoryBucketName: 'team-inventory',
        existingBucketNames: ['team-a'],
      }).app.synth(),
    ).not.toThrow();
  });
});
