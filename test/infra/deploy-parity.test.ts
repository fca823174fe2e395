import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, loadConfig } from '../../src/config.js';
import type { Permission } from '../../src/local/lambda/aws-front-door.js';
import { LAMBDA_SET_VARIABLES, LOCAL_ONLY_VARIABLES } from '../../src/local/lambda/lambda-environment.js';
import {
  deniedPermissions,
  GRANTS_FOR_PATHS_NOT_RUN_LOCALLY,
  PUBLISHER_GRANTS_NOT_RUN_LOCALLY,
  publisherRoleStatements,
  unusedGrants,
  workerRoleStatements,
} from '../../src/local/lambda/role-check.js';
import { synthesizeLocalTemplate } from '../../src/local/lambda/synthesized-stack.js';
import { type CfnTemplate, workerSettingsOf } from '../../src/local/lambda/template-settings.js';
import type { LocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { METRICS_NAMESPACE, MetricName } from '../../src/metric-names.js';
import { drained, startTestStack, uploadLogReader } from '../support/pipeline.js';
import { isAllowed, type PolicyStatement, resolve } from './policy-evaluator.js';

// What the bundle did on the local stack, checked against the template `cdk deploy` would deploy:
// the calls its role must allow, the variables it reads, the metrics the alarms read.

let stack: LocalStack;
let template: CfnTemplate;
const emfLines: string[] = [];

/** A notification as S3 sends it for a versioned bucket (the local S3 has no versions of its own). */
function versionedNotification(bucket: string, key: string, eTag: string, versionId: string): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key, size: 2, eTag, versionId, sequencer: '00FFFFFFFFFFFFFFFF' },
        },
      },
    ],
  });
}

beforeAll(async () => {
  template = await synthesizeLocalTemplate();
  stack = await startTestStack({ uploadEvents: true, metricsOutput: (line) => emfLines.push(line) });
  const { s3, sqs } = stack.clients;
  const bucket = stack.names.uploadsBucket;
  const log = uploadLogReader(stack);
  const put = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  // Every path a deployed worker takes: accepted and copied, a duplicate, rejected, removed, a
  // versioned read, and a record that fails (its in-progress idempotency record is deleted).
  const accepted = await put('parity/a.txt', 'a');
  await put('parity/a.txt', 'a');
  await put('parity/b.exe', 'b');
  await put('parity/c.txt', 'c');
  await drained(stack);
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'parity/c.txt' }));
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.queues.ingest.url,
      MessageBody: versionedNotification(bucket, 'parity/a.txt', accepted.ETag ?? '', 'v1'),
    }),
  );
  await drained(stack);
  const door = stack.frontDoor;
  if (!door) throw new Error('the stack runs no worker');
  const failedBefore = stack.metrics.totals().RecordsFailed;
  door.faults.s3Rate = 1;
  await put('parity/d.txt', 'd');
  await waitFor(
    'the record to fail while S3 answers 500',
    () => stack.metrics.totals().RecordsFailed > failedBefore,
  );
  door.faults.s3Rate = 0;
  await drained(stack);
  expect(await log.stateOf('parity/d.txt')).toMatchObject({ status: 'PRESENT' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('deploy parity: IAM', () => {
  const statements = () => {
    const settings = workerSettingsOf(template);
    return workerRoleStatements(template, settings, stack.names, stack.description.region);
  };

  it('every call the worker and its event source made is one the deployed role allows', () => {
    const permissions = stack.frontDoor?.permissions() ?? [];
    const actions = new Set(permissions.map((permission) => permission.action));
    for (const action of ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:ListBucket']) {
      expect(actions).toContain(action);
    }
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      expect(actions).toContain(action);
    }
    expect(deniedPermissions(statements(), permissions)).toEqual([]);
  });

  it('refuses a call the role does not allow (the check can fail)', () => {
    const outside: Permission[] = [
      { action: 's3:PutObject', resource: `arn:aws:s3:::${stack.names.uploadsBucket}/x` },
      { action: 'dynamodb:Scan', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/upload-log' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::someone-elses-bucket/x' },
    ];
    expect(deniedPermissions(statements(), outside)).toEqual(outside);
  });

  it('grants nothing that no code path uses, but for the paths the local stack cannot run', () => {
    const unused = unusedGrants(statements(), stack.frontDoor?.permissions() ?? []).map(
      (grant) => grant.action,
    );
    expect([...new Set(unused)].sort()).toEqual(Object.keys(GRANTS_FOR_PATHS_NOT_RUN_LOCALLY).sort());
  });
});

describe('deploy parity: the upload events publisher', () => {
  const statements = async () => {
    const { Table } = await stack.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: stack.names.uploadLogTable }),
    );
    const events = stack.uploadEvents;
    if (!events || !Table?.LatestStreamArn) throw new Error('the stack runs no upload events');
    return publisherRoleStatements(template, stack.names, stack.description.region, {
      topicArn: events.topicArn,
      streamArn: Table.LatestStreamArn,
    });
  };
  const permissions = async () => {
    const door = stack.uploadEvents?.frontDoor;
    // The events of the uploads above are published by now (bounded: the poller runs every 100 ms).
    await waitFor('the publisher to publish', () => (door?.snapshot()['SNS.PublishBatch'] ?? 0) > 0);
    return door?.permissions() ?? [];
  };

  it('every call the publisher and its stream event source made is one its deployed role allows', async () => {
    const made = await permissions();
    const actions = new Set(made.map((permission) => permission.action));
    for (const action of [
      'dynamodb:DescribeStream',
      'dynamodb:GetShardIterator',
      'dynamodb:GetRecords',
      'sns:Publish',
    ])
      expect(actions).toContain(action);
    // GetRecords names its stream (the iterator's), not `*`.
    expect(
      made.filter((permission) => permission.action === 'dynamodb:GetRecords').map((p) => p.resource),
    ).not.toContain('*');
    expect(deniedPermissions(await statements(), made)).toEqual([]);
  });

  it('refuses what the publisher has no business doing (the check can fail)', async () => {
    const outside: Permission[] = [
      {
        action: 'sns:Publish',
        resource: `arn:aws:sns:${stack.description.region}:000000000000:someone-elses-topic`,
      },
      {
        action: 'dynamodb:GetRecords',
        resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/other/stream/x',
      },
      { action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/upload-log' },
    ];
    expect(deniedPermissions(await statements(), outside)).toEqual(outside);
  });

  it('grants nothing that no call used, but for what Lambda and AWS do on its behalf', async () => {
    const unused = unusedGrants(await statements(), await permissions()).map((grant) => grant.action);
    expect([...new Set(unused)].sort()).toEqual(Object.keys(PUBLISHER_GRANTS_NOT_RUN_LOCALLY).sort());
  });
});

describe('deploy parity: names', () => {
  it('every variable the bundle read is set by the template or by Lambda, or has a default', () => {
    const settings = workerSettingsOf(template);
    const read = [...(stack.environments?.stats.variablesRead ?? [])];
    expect(read).toEqual(expect.arrayContaining([CONFIG_ENV.uploadLogTable, 'AWS_REGION']));
    const setLocally = new Set(Object.keys(stack.description.settings?.workerEnv ?? {}));
    const unexplained = read.filter(
      (name) =>
        !(name in settings.environment) &&
        !LAMBDA_SET_VARIABLES.includes(name) &&
        !(name in LOCAL_ONLY_VARIABLES) &&
        setLocally.has(name),
    );
    expect(unexplained).toEqual([]);
    // The worker's own settings: required ones come from the template, the rest have defaults.
    const templateOnly = Object.fromEntries(
      Object.entries(settings.environment).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : 'resolved-at-deploy',
      ]),
    );
    for (const name of Object.values(CONFIG_ENV)) {
      const without = { ...templateOnly, [name]: undefined };
      if (!(name in settings.environment)) expect(() => loadConfig(without)).not.toThrow();
    }
  });

  it('the alarms and the dashboard read the metrics the bundle emitted, with the statistics their units need', () => {
    type EmfDocument = {
      _aws: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit: string }[];
        }[];
      };
      [key: string]: unknown;
    };
    const documents = emfLines.map((line) => JSON.parse(line) as EmfDocument);
    expect(documents.length).toBeGreaterThan(0);
    const units = new Map<string, string>();
    const dimensionSets = new Set<string>();
    for (const document of documents) {
      for (const directive of document._aws.CloudWatchMetrics) {
        expect(directive.Namespace).toBe(METRICS_NAMESPACE);
        for (const metric of directive.Metrics) units.set(metric.Name, metric.Unit);
        for (const names of directive.Dimensions)
          dimensionSets.add(JSON.stringify(names.map((name) => [name, document[name]])));
      }
    }
    expect([...units.keys()].sort()).toEqual(Object.values(MetricName).sort());

    // What the template reads: every alarm and dashboard metric in the worker's namespace.
    const read: { metric: string; dimensions: string; statistic: string; where: string }[] = [];
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
      const p = resource.Properties ?? {};
      if (p.Namespace !== METRICS_NAMESPACE) continue;
      const dimensions = (p.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]);
      read.push({
        metric: String(p.MetricName),
        dimensions: JSON.stringify(dimensions),
        statistic: String(p.ExtendedStatistic ?? p.Statistic),
        where: id,
      });
    }
    const dashboard = Object.values(template.Resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    if (!dashboard?.Properties) throw new Error('the template has no dashboard');
    const [, parts] = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    for (const widget of body.widgets) {
      for (const line of widget.properties.metrics ?? []) {
        if (line[0] !== METRICS_NAMESPACE) continue;
        const options = line.at(-1) as { stat?: string };
        const names = line.slice(2, -1) as string[];
        const dimensions = Array.from({ length: names.length / 2 }, (_, i) => [
          names[2 * i],
          names[2 * i + 1],
        ]);
        read.push({
          metric: String(line[1]),
          dimensions: JSON.stringify(dimensions),
          statistic: options.stat ?? 'Average',
          where: 'dashboard',
        });
      }
    }
    expect(read.filter((r) => r.where !== 'dashboard').length).toBeGreaterThan(0);
    expect(read.filter((r) => r.where === 'dashboard').length).toBeGreaterThanOrEqual(
      Object.keys(MetricName).length,
    );
    for (const { metric, dimensions, statistic, where } of read) {
      expect(units.has(metric), `${where} reads ${metric}, which the worker does not emit`).toBe(true);
      expect(dimensionSets.has(dimensions), `${where} reads ${metric} by ${dimensions}`).toBe(true);
      // Counts are emitted every invocation, zeros included: only their sum means anything.
      if (units.get(metric) === 'Count') expect(statistic, `${where} on ${metric}`).toBe('Sum');
      else expect(statistic, `${where} on ${metric}`).toMatch(/^(p\d+(\.\d+)?|Average|Maximum|Minimum)$/);
    }
  });
});

describe('deploy parity: event source and queues', () => {
  it("keeps Lambda's rules: visibility timeout at least 6x the function's, DLQ kept longer than the queue", () => {
    const settings = workerSettingsOf(template);
    expect(settings.queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * settings.timeoutSeconds + settings.eventSource.maximumBatchingWindowSeconds,
    );
    expect(settings.deadLetterQueue.retentionSeconds).toBeGreaterThan(settings.queue.retentionSeconds);
    expect(settings.eventSource.reportBatchItemFailures).toBe(true);
  });

  it('the queue policy admits S3 from the watched bucket of this account, and nothing else', () => {
    const settings = workerSettingsOf(template);
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::SQS::QueuePolicy')
      .filter((r) =>
        JSON.stringify(resolve(r.Properties?.Queues)).includes(`ref:${settings.queue.logicalId}`),
      )
      .flatMap(
        (r) =>
          (r.Properties?.PolicyDocument as { Statement?: PolicyStatement[] } | undefined)?.Statement ?? [],
      );
    const watched = String(resolve(template.Outputs?.IngestBucketName?.Value)).replace(/^ref:/, '');
    const send = (sourceArn: string, sourceAccount: string, service = 's3.amazonaws.com') =>
      isAllowed(statements, {
        service,
        action: 'sqs:SendMessage',
        resource: `getatt:${settings.queue.logicalId}.Arn`,
        keys: {
          'aws:SourceArn': sourceArn,
          'aws:SourceAccount': sourceAccount,
          'aws:SecureTransport': 'true',
        },
      });
    expect(send(`getatt:${watched}.Arn`, '123456789012')).toBe(true);
    expect(send(`getatt:${watched}.Arn`, '999999999999')).toBe(false);
    expect(send('arn:aws:s3:::another-bucket', '123456789012')).toBe(false);
    expect(send(`getatt:${watched}.Arn`, '123456789012', 'sns.amazonaws.com')).toBe(false);
  });
});
