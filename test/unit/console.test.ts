import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { evaluateAlarm } from '../../src/console/alarm-state.js';
import { CloudWatchMetrics, cloudWatchMetrics } from '../../src/console/aws-metrics.js';
import { recordEmf } from '../../src/console/local-metrics.js';
import { MetricStore, statisticOf } from '../../src/console/metric-store.js';
import { type MetricsSource, readDashboard } from '../../src/console/metrics-source.js';
import { assetsThePageLoads, consolePageWeight } from '../../src/console/page-weight.js';
import { PAGE_ASSETS, parseSelection, refusal } from '../../src/console/server.js';
import { alarmSpecs, DASHBOARD_GRAPHS } from '../../src/dashboard-definition.js';
import { parseEmf } from '../../src/local/emf-totals.js';
import { summarizeMessage } from '../../src/tools/dlq-messages.js';
import type { ToolTarget } from '../../src/tools/target.js';
import { s3Notification, s3Record } from '../support/factories.js';

const ORIGIN = 'http://127.0.0.1:4580';
const TOKEN = 'a'.repeat(32);

describe('console requests', () => {
  const request = (method: string, headers: Record<string, string>, route?: string) => ({
    method,
    route: route ?? '/api/dlq/redrive',
    headers: { host: '127.0.0.1:4580', ...headers },
  });

  it('serves the page to this host without a token, and refuses another Host (DNS rebinding)', () => {
    expect(refusal(request('GET', {}, '/'), ORIGIN, TOKEN)).toBeUndefined();
    expect(refusal(request('GET', { host: 'localhost:4580' }, '/app.js'), ORIGIN, TOKEN)).toBeUndefined();
    expect(refusal(request('GET', { host: 'evil.example:4580' }, '/'), ORIGIN, TOKEN)).toMatch(
      /not this console/,
    );
  });

  it('answers no API read without the token, nor one from another origin', () => {
    const read = (headers: Record<string, string>) =>
      refusal(request('GET', headers, '/api/dlq'), ORIGIN, TOKEN);
    expect(read({ 'x-console-token': TOKEN })).toBeUndefined();
    expect(read({ 'x-console-token': TOKEN, origin: ORIGIN })).toBeUndefined();
    expect(read({})).toMatch(/token/);
    expect(read({ 'x-console-token': TOKEN, origin: 'http://evil.example' })).toMatch(/Origin/);
    expect(refusal(request('GET', {}, '/api/uploads.csv'), ORIGIN, TOKEN)).toMatch(/token/);
    // A path that matched no route is not public either.
    expect(refusal({ method: 'GET', headers: { host: '127.0.0.1:4580' } }, ORIGIN, TOKEN)).toMatch(/token/);
  });

  it('refuses a token header with bytes outside ASCII as wrong, without throwing', () => {
    const latin = Buffer.from(`${'a'.repeat(31)}\u00e9`, 'utf8').toString('latin1');
    expect(refusal(request('GET', { 'x-console-token': latin }, '/api/info'), ORIGIN, TOKEN)).toMatch(
      /token/,
    );
    expect(
      refusal(request('GET', { 'x-console-token': '\u00ff'.repeat(32) }, '/api/info'), ORIGIN, TOKEN),
    ).toMatch(/token/);
  });

  it('refuses a change without the token, with a wrong one, or from another origin', () => {
    expect(
      refusal(request('POST', { origin: ORIGIN, 'x-console-token': TOKEN }), ORIGIN, TOKEN),
    ).toBeUndefined();
    expect(refusal(request('POST', { origin: ORIGIN }), ORIGIN, TOKEN)).toMatch(/token/);
    expect(
      refusal(request('POST', { origin: ORIGIN, 'x-console-token': 'b'.repeat(32) }), ORIGIN, TOKEN),
    ).toMatch(/token/);
    expect(
      refusal(request('POST', { origin: 'http://evil.example', 'x-console-token': TOKEN }), ORIGIN, TOKEN),
    ).toMatch(/Origin/);
    expect(refusal(request('DELETE', { 'x-console-token': TOKEN }), ORIGIN, TOKEN)).toMatch(/Origin/);
  });
});

describe('redrive and discard bodies', () => {
  const message = summarizeMessage({
    MessageId: 'm1',
    Body: JSON.stringify(s3Notification(s3Record({ key: 'junk/a' }), s3Record({ key: 'payroll/b' }))),
    Attributes: {},
  });

  it('refuses anything but an object of the expected shape, never reading it as everything', () => {
    for (const body of ['messageIds=m1', ['m1'], null, 42, {}, { messageId: ['m1'] }, { messageIds: 'm1' }]) {
      expect(() => parseSelection(body, 'redrive')).toThrow();
    }
    expect(() => parseSelection({ messageIds: [] }, 'redrive')).toThrow(/non-empty/);
    expect(() => parseSelection({ all: 'yes' }, 'redrive')).toThrow(/all must be true/);
    expect(() => parseSelection({ all: true, messageIds: ['m1'] }, 'redrive')).toThrow(/not both/);
    expect(() => parseSelection({ all: true, confirm: true }, 'discard')).toThrow(/does not know "all"/);
  });

  it('selects every message only for an explicit {"all": true}', () => {
    expect(parseSelection({ all: true }, 'redrive')(message)).toBe(true);
    expect(parseSelection({ messageIds: ['m1'] }, 'redrive')(message)).toBe(true);
    expect(parseSelection({ messageIds: ['m2'] }, 'redrive')(message)).toBe(false);
    // A discard deletes a message only when every record matches.
    expect(parseSelection({ filters: ['key-prefix=junk/'] }, 'redrive')(message)).toBe(true);
    expect(parseSelection({ filters: ['key-prefix=junk/'], confirm: true }, 'discard')(message)).toBe(false);
  });
});

describe('metrics as CloudWatch aggregates them', () => {
  it('computes sums, extremes, averages and nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(statisticOf(values, 'Sum')).toBe(5050);
    expect(statisticOf(values, 'Maximum')).toBe(100);
    expect(statisticOf(values, 'Average')).toBe(50.5);
    expect(statisticOf(values, 'p50')).toBe(50);
    expect(statisticOf(values, 'p99')).toBe(99);
    expect(statisticOf([], 'Sum')).toBeUndefined();
    expect(() => statisticOf([1], 'Median')).toThrow('unknown statistic');
  });

  it('buckets samples into aligned periods, with null where a period has none', () => {
    const store = new MetricStore();
    store.record('worker', 'ObjectsIngested', 2, 60_000);
    store.record('worker', 'ObjectsIngested', 3, 119_999);
    store.record('worker', 'ObjectsIngested', 5, 180_500);
    expect(store.datapoints('worker', 'ObjectsIngested', 'Sum', 60_000, 240_000, 60_000)).toEqual({
      timestamps: [60_000, 120_000, 180_000],
      values: [5, null, 5],
    });
    expect(store.statistic('worker', 'ObjectsIngested', 'Sum', 0, 120_000)).toBe(5);
  });

  it("reads an EMF document's metrics at its own timestamp, arrays included, and ignores other lines", () => {
    const store = new MetricStore();
    const emf = {
      _aws: {
        Timestamp: 1_000,
        CloudWatchMetrics: [
          {
            Namespace: 'S3Ingest',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'ObjectsIngested', Unit: 'Count' },
              { Name: 'IngestLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 's3-ingest',
      ObjectsIngested: 4,
      IngestLatency: [100, 300],
    };
    for (const line of [
      JSON.stringify(emf),
      '{"level":"INFO","message":"not a metric"}',
      '{"_aws": broken',
    ]) {
      const document = parseEmf(line);
      if (document) recordEmf(store, document);
    }
    expect(store.statistic('worker', 'ObjectsIngested', 'Sum', 0, 2_000)).toBe(4);
    expect(store.statistic('worker', 'IngestLatency', 'Maximum', 0, 2_000)).toBe(300);
    expect(store.statistic('worker', 'IngestLatency', 'Sum', 1_001, 2_000)).toBeUndefined();
  });
});

describe('alarms of the shared definition', () => {
  it('apply the stack thresholds, and fire at or above them, missing data not breaching', () => {
    const specs = alarmSpecs({ recordsFailed: 3 });
    const recordsFailed = specs.find((spec) => spec.name === 'RecordsFailed');
    const dlq = specs.find((spec) => spec.name === 'DlqNotEmpty');
    if (!recordsFailed || !dlq) throw new Error('alarms missing');
    expect(recordsFailed.threshold).toBe(3);
    expect(evaluateAlarm(recordsFailed, 3).state).toBe('ALARM');
    expect(evaluateAlarm(recordsFailed, 2).state).toBe('OK');
    expect(evaluateAlarm(dlq, undefined)).toMatchObject({ state: 'OK', threshold: 1 });
    expect(evaluateAlarm(dlq, 1)).toMatchObject({ state: 'ALARM', value: 1 });
  });

  it('are evaluated over their own period (scaled for tests), and the dashboard totals the counts', async () => {
    const store = new MetricStore();
    const now = 10 * 60_000;
    store.record('dlq', 'ApproximateNumberOfMessagesVisible', 2, now - 30_000);
    store.record('dlq', 'ApproximateNumberOfMessagesVisible', 0, now - 1_000);
    store.record('worker', 'ObjectsIngested', 7, now - 5 * 60_000);
    const source: MetricsSource = {
      datapoints: async (series, from, to, period) =>
        series.map((s) => store.datapoints(s.source, s.metric, s.statistic, from, to, period * 1000)),
      statistic: async (s, from, to) => store.statistic(s.source, s.metric, s.statistic, from, to),
    };
    const full = await readDashboard(source, { from: 0, to: now });
    expect(full.alarms.find((a) => a.name === 'DlqNotEmpty')?.state).toBe('ALARM');
    expect(full.totals.ObjectsIngested).toBe(7);
    expect(full.graphs.map((g) => g.title)).toEqual(DASHBOARD_GRAPHS.map((g) => g.title));
    // A tenth of the period (6 s) holds only the empty sample: back to OK.
    const scaled = await readDashboard(source, { from: 0, to: now }, { alarmPeriodScale: 0.1 });
    expect(scaled.alarms.find((a) => a.name === 'DlqNotEmpty')?.state).toBe('OK');
  });
});

describe('a deployed stack through CloudWatch', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  afterEach(() => cloudWatch.reset());
  afterAll(() => cloudWatch.restore());
  const target = {
    kind: 'aws',
    label: 'team-a-ingest',
    region: 'eu-west-1',
    ingestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/team-a-ingest-queue',
    dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/team-a-ingest-dlq',
    uploadLogTable: 'uploads-log',
    idempotencyTable: 'idempotency',
    workerFunction: 'team-a-worker',
  } as ToolTarget;

  it('names the metrics as the CDK constructs do', () => {
    expect(
      cloudWatchMetrics({ source: 'worker', metric: 'ObjectsIngested', statistic: 'Sum' }, target),
    ).toEqual([
      {
        Namespace: 'S3Ingest',
        MetricName: 'ObjectsIngested',
        Dimensions: [{ Name: 'service', Value: 's3-ingest' }],
      },
    ]);
    expect(
      cloudWatchMetrics({ source: 'dlq', metric: 'X', statistic: 'Maximum' }, target)[0]?.Dimensions,
    ).toEqual([{ Name: 'QueueName', Value: 'team-a-ingest-dlq' }]);
    expect(
      cloudWatchMetrics({ source: 'table', metric: 'WriteThrottleEvents', statistic: 'Sum' }, target),
    ).toHaveLength(2);
  });

  it('reads graphs with GetMetricData (a series over both tables is their sum) and alarms with DescribeAlarms', async () => {
    cloudWatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => ({
      MetricDataResults: input.MetricDataQueries.map((query) => ({
        Id: query.Id,
        Timestamps: [new Date(120_000)],
        Values: [query.Id === 'm0' ? 2 : 3],
      })),
    }));
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'team-a-ingest-AlarmsDlqNotEmptyABC-1', StateValue: 'ALARM', Threshold: 1, Period: 60 },
        { AlarmName: 'team-a-ingest-AlarmsThrottledWritesUploadLogDEF-2', StateValue: 'OK', Threshold: 5 },
      ],
    });
    const source = new CloudWatchMetrics(new CloudWatchClient({ region: 'eu-west-1' }), target);
    const [wcu] = await source.datapoints(
      [{ source: 'table', metric: 'ConsumedWriteCapacityUnits', statistic: 'Sum', label: 'WCU' }],
      60_000,
      180_000,
      60,
    );
    expect(wcu).toEqual({ timestamps: [60_000, 120_000], values: [null, 5] });
    const alarms = await source.alarmStates(alarmSpecs());
    expect(alarms.find((a) => a.name === 'DlqNotEmpty')?.state).toBe('ALARM');
    expect(alarms.find((a) => a.name === 'ThrottledWrites')).toMatchObject({ state: 'OK', threshold: 5 });
    expect(alarms.find((a) => a.name === 'WorkerErrors')?.description).toMatch(/no such alarm/);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
      AlarmNamePrefix: 'team-a-ingest-',
    });
  });
});

describe("the console's page weight (npm run bench)", () => {
  it('weighs every script and stylesheet the page loads, which are all the console serves', async () => {
    const loaded = await assetsThePageLoads();
    expect([...loaded].sort()).toEqual(Object.keys(PAGE_ASSETS).sort());
    const weight = await consolePageWeight();
    expect(weight.files.map((file) => file.path)).toEqual(['/', ...loaded]);
    for (const file of weight.files) expect(file.gzipBytes).toBeLessThan(file.bytes);
  });
});
