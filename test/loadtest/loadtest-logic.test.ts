import { describe, expect, it } from 'vitest';
import { AwsCallCounter, difference, dynamoDbWrites } from '../../loadtest/aws-call-counter.js';
import { costPerMillion } from '../../loadtest/cost.js';
import { summarizeCpuProfile } from '../../loadtest/cpu-profile.js';
import { checkEvents, expectedCorrectionId, expectedEventId } from '../../loadtest/event-feed.js';
import { busyWhile, meanOfFirst } from '../../loadtest/event-loop.js';
import { FaultInjector } from '../../loadtest/fault-injector.js';
import { limitingFactor } from '../../loadtest/limit.js';
import { parseLoadTestArgs } from '../../loadtest/options.js';
import { histogram, percentiles, perSecond } from '../../loadtest/stats.js';
import {
  checkMetrics,
  classifyDlq,
  emptyMalwareVerification,
  emptyVerification,
  verifyMalwareGate,
  verifyObject,
} from '../../loadtest/verify.js';
import { POISON_MARKER, planWorkload, poisonBody } from '../../loadtest/workload.js';
import { parseMessageBody } from '../../src/core/envelope.js';
import { buildS3Notification } from '../../src/core/s3-notification.js';
import { buildScanResultEvent } from '../../src/core/scan-result.js';
import { sumEmfCounts } from '../../src/local/emf-totals.js';

const plan = (overrides: Partial<Parameters<typeof planWorkload>[0]> = {}) =>
  planWorkload({
    objects: 1000,
    duplicateRate: 0.3,
    lateRate: 0.05,
    poisonRate: 0.01,
    keyPrefix: 'p/',
    seed: 7,
    ...overrides,
  });

describe('workload plan', () => {
  it('injects the rates asked for, the same way for the same seed', () => {
    const workload = plan();
    const sum = (pick: (o: (typeof workload.objects)[number]) => number) =>
      workload.objects.reduce((total, o) => total + pick(o), 0);
    expect(workload.objects).toHaveLength(1000);
    expect(new Set(workload.objects.map((o) => o.key)).size).toBe(1000);
    expect(sum((o) => o.concurrentDuplicates + o.delayedDuplicates)).toBe(300);
    expect(workload.duplicatesInjected).toBe(300);
    expect(workload.objects.filter((o) => o.versions === 2)).toHaveLength(50);
    expect(workload.poisonAfter).toHaveLength(10);
    expect(plan()).toEqual(workload);
    expect(plan({ seed: 8 })).not.toEqual(workload);
  });

  it('infects the share asked for, only among objects uploaded once, and changes nothing else of the plan', () => {
    const workload = plan({ malwareRate: 0.1 });
    const infected = workload.objects.filter((o) => o.infected);
    expect(workload.infectedInjected).toBe(100);
    expect(infected).toHaveLength(100);
    expect(infected.every((o) => o.versions === 1)).toBe(true);
    // The same seed without malware: the same objects, duplicates, late ones and poison.
    const clean = plan();
    expect(clean.infectedInjected).toBe(0);
    expect(workload.objects.map(({ infected: _, ...rest }) => rest)).toEqual(clean.objects);
    expect(workload.poisonAfter).toEqual(clean.poisonAfter);
    // Never more than the objects that are not late.
    expect(plan({ objects: 10, lateRate: 0.5, malwareRate: 1 }).infectedInjected).toBe(5);
  });

  it('makes poison bodies the worker cannot read', () => {
    for (const n of [0, 1]) {
      expect(() => parseMessageBody(poisonBody('run', n))).toThrow();
      expect(poisonBody('run', n)).toContain(POISON_MARKER);
    }
  });
});

describe('fault injector', () => {
  const notification = (key: string, sequencer: string) =>
    JSON.stringify(
      buildS3Notification({
        eventName: 'ObjectCreated:Put',
        bucket: 'b',
        key,
        eTag: sequencer,
        size: 1,
        eventTime: new Date(0),
        sequencer,
        principalId: 'p',
        sourceIp: 'i',
        requestId: 'r',
        region: 'us-east-1',
      }),
    );

  /** A workload of one object uploaded twice, its older notification held back (late). */
  const oneLateObject = (key: string, duplicates: { concurrent: number; delayed: number }) => ({
    objects: [
      {
        index: 0,
        key,
        versions: 2 as const,
        concurrentDuplicates: duplicates.concurrent,
        delayedDuplicates: duplicates.delayed,
      },
    ],
    duplicatesInjected: duplicates.concurrent + duplicates.delayed,
    lateInjected: 1,
    poisonInjected: 0,
    infectedInjected: 0,
    poisonAfter: [],
  });

  it('sends duplicates at once and later, and holds the older of a late pair until released', async () => {
    // Prepare: one late object with one concurrent and two delayed duplicates.
    const injector = new FaultInjector(oneLateObject('a b.txt', { concurrent: 1, delayed: 2 }));
    const sent: string[] = [];
    const send = async (body: string) => {
      sent.push(JSON.parse(body).Records[0].s3.object.sequencer);
    };
    // Act: the newer notification happens to reach the tap first.
    await injector.tap(notification('a b.txt', '0002'), send);
    await injector.tap(notification('a b.txt', '0001'), send);
    const beforeFlush = [...sent];
    await injector.flushDelayed();
    const beforeRelease = [...sent];
    await injector.releaseLate();
    // Assess
    expect(beforeFlush).toEqual(['0002', '0002']);
    expect(beforeRelease).toEqual(['0002', '0002', '0002', '0002']);
    expect(sent).toEqual(['0002', '0002', '0002', '0002', '0001']);
    expect(injector.notificationsSent).toBe(5);
  });

  it('holds a scan result back while its version\u2019s notification is held, and releases it after', async () => {
    const injector = new FaultInjector(oneLateObject('late.bin', { concurrent: 0, delayed: 0 }));
    const sent: string[] = [];
    const send = async (body: string) => {
      const parsed = JSON.parse(body);
      sent.push(
        parsed.Records
          ? `notification ${parsed.Records[0].s3.object.eTag}`
          : `scan ${parsed.detail.s3ObjectDetails.eTag}`,
      );
    };
    const scan = (eTag: string) =>
      JSON.stringify(
        buildScanResultEvent({
          bucket: 'b',
          key: 'late.bin',
          eTag,
          status: 'COMPLETED',
          result: 'NO_THREATS_FOUND',
          time: new Date(0).toISOString(),
          account: '000000000000',
          region: 'us-east-1',
          id: eTag,
        }),
      );
    // The first version's notification is held (first of two), then late; its scan waits for it.
    await injector.tap(notification('late.bin', '0001'), send);
    await injector.tap(scan('0001'), send);
    await injector.tap(notification('late.bin', '0002'), send);
    await injector.tap(scan('0002'), send);
    await injector.tap(scan('0009'), send);
    expect(sent).toEqual(['notification 0002', 'scan 0002', 'scan 0009']);
    expect(await injector.releaseLate()).toBe(1);
    expect(await injector.releaseScanResults()).toBe(1);
    expect(sent.slice(3)).toEqual(['notification 0001', 'scan 0001']);
    // A scan result is not a notification: S3's SendMessage count leaves it out.
    expect(injector.notificationsSent).toBe(2);
  });

  it('passes notifications of objects outside the plan straight through', async () => {
    const injector = new FaultInjector(plan({ objects: 1 }));
    const sent: string[] = [];
    await injector.tap(notification('other', '01'), async (body) => {
      sent.push(body);
    });
    expect(sent).toHaveLength(1);
    expect(injector.lastBody.get('other')).toBe(sent[0]);
  });
});

describe('row-by-row verification', () => {
  const v1 = { eTag: 'e1', size: 10 };
  const v2 = { eTag: 'e2', size: 20 };
  const state = { status: 'PRESENT', eTag: 'e2' };

  it('accepts one row per version, an overwritten version as GONE, and the newest state', () => {
    const result = emptyVerification();
    verifyObject(
      { key: 'k', versions: [v1, v2] },
      {
        uploads: [
          { eTag: 'e1', size: 10, status: 'GONE' },
          { eTag: 'e2', size: 20, status: 'STORED' },
        ],
        state,
      },
      result,
    );
    expect(result).toEqual({ rowsVerified: 2, missing: 0, duplicateRows: 0, wrongState: 0, problems: [] });
  });

  it('counts missing rows, duplicate rows, wrong sizes and wrong states', () => {
    const result = emptyVerification();
    verifyObject(
      { key: 'k', versions: [v1, v2] },
      {
        uploads: [
          { eTag: 'e2', size: 20, status: 'GONE' },
          { eTag: 'e2', size: 20, status: 'STORED' },
          { eTag: 'zz', size: 1, status: 'STORED' },
        ],
        state: { status: 'PRESENT', eTag: 'e1' },
      },
      result,
    );
    // e1 missing; e2's first row GONE though newest (counts as missing); one extra e2; one unknown.
    expect(result).toMatchObject({ rowsVerified: 0, missing: 2, duplicateRows: 2, wrongState: 1 });
    expect(result.problems.length).toBeGreaterThan(0);
  });

  it('expects an infected object REJECTED by its scan, and a clean one STORED', () => {
    const malwareRow = { eTag: 'e1', size: 10, status: 'REJECTED', reason: 'malware: EICAR-Test-File' };
    const infected = emptyVerification();
    verifyObject(
      { key: 'k', versions: [v1], infected: true },
      { uploads: [malwareRow], state: { status: 'PRESENT', eTag: 'e1' } },
      infected,
    );
    expect(infected).toMatchObject({ rowsVerified: 1, missing: 0 });
    // Stored though infected, or rejected for something else: not what the gate must do.
    const wrong = emptyVerification();
    verifyObject(
      { key: 'k', versions: [v1], infected: true },
      { uploads: [{ ...malwareRow, status: 'STORED' }], state: { status: 'PRESENT', eTag: 'e1' } },
      wrong,
    );
    verifyObject(
      { key: 'k', versions: [v1], infected: true },
      { uploads: [{ ...malwareRow, reason: 'size: too big' }], state: { status: 'PRESENT', eTag: 'e1' } },
      wrong,
    );
    verifyObject(
      { key: 'k', versions: [v1] },
      { uploads: [malwareRow], state: { status: 'PRESENT', eTag: 'e1' } },
      wrong,
    );
    expect(wrong).toMatchObject({ rowsVerified: 0, missing: 3 });
  });

  it('checks the malware gate: infected rejected and never copied, clean copied at its newest content', () => {
    const result = emptyMalwareVerification();
    const problems: string[] = [];
    const scanned = { scanStatus: 'COMPLETED', scanResult: 'NO_THREATS_FOUND', status: 'STORED' };
    const threat = { scanStatus: 'COMPLETED', scanResult: 'THREATS_FOUND', status: 'REJECTED' };
    verifyMalwareGate({ key: 'bad', versions: [v1], infected: true }, threat, undefined, result, problems);
    verifyMalwareGate({ key: 'bad-copied', versions: [v1], infected: true }, threat, 'e1', result, problems);
    verifyMalwareGate(
      { key: 'bad-stored', versions: [v1], infected: true },
      { ...threat, status: 'STORED' },
      undefined,
      result,
      problems,
    );
    verifyMalwareGate({ key: 'good', versions: [v1, v2] }, scanned, 'e2', result, problems);
    verifyMalwareGate({ key: 'good-old-copy', versions: [v1, v2] }, scanned, 'e1', result, problems);
    verifyMalwareGate(
      { key: 'never-scanned', versions: [v1] },
      { status: 'STORED' },
      undefined,
      result,
      problems,
    );
    expect(result).toEqual({ infected: 3, rejected: 2, copied: 1, clean: 3, cleanCopied: 1, unscanned: 1 });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/bad-copied: infected, and in the copy destination/);
  });

  it('tells this run poison from anything else in the DLQ', () => {
    expect(classifyDlq([poisonBody('r1', 0), poisonBody('r1', 1), poisonBody('r0', 2), '{}'], 'r1')).toEqual({
      poison: 2,
      other: 2,
    });
  });

  it('compares metric totals exactly, sums with +, and needs the poison receives in RecordsFailed', () => {
    const emitted = { ObjectsIngested: 5, ObjectsGone: 1, DuplicatesSkipped: 2, RecordsFailed: 6 };
    expect(checkMetrics(emitted, { ObjectsIngested: 5, DuplicatesSkipped: 2 }, 6).match).toBe(true);
    expect(checkMetrics(emitted, { 'ObjectsIngested+ObjectsGone': 6 }, 6).match).toBe(true);
    expect(checkMetrics(emitted, { DuplicatesSkipped: 3 }, 6).match).toBe(false);
    expect(checkMetrics(emitted, { DuplicatesSkipped: 2 }, 9).match).toBe(false);
  });
});

describe('numbers', () => {
  it('computes nearest-rank percentiles, per-second series and histograms', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(values)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toEqual({ p50: 0, p95: 0, p99: 0, max: 0 });
    expect(perSecond([1000, 1500, 3999], 1000)).toEqual([2, 0, 1]);
    // Values 0..99 in four buckets of 25.
    const buckets = histogram(
      values.map((v) => v - 1),
      4,
    );
    expect(buckets.map((b) => b.count)).toEqual([25, 25, 25, 25]);
  });

  it('sums EMF counts across documents and ignores other lines', () => {
    const doc = (n: number) =>
      JSON.stringify({ _aws: { CloudWatchMetrics: [] }, ObjectsIngested: n, IngestLatency: [5, 6] });
    expect(sumEmfCounts([doc(2), 'not json', doc(3)]).ObjectsIngested).toBe(5);
  });

  it('prices calls: DynamoDB writes, SQS requests, S3 GET and PUT classes', () => {
    const cost = costPerMillion(
      {
        'DynamoDB.PutItem': 2,
        'DynamoDB.UpdateItem': 2,
        'SQS.ReceiveMessage': 1,
        'S3.HeadObject': 1,
        'S3.CopyObject': 1,
      },
      1,
      { lambdaMemoryMb: 1024, lambdaMsPerBatch: 0, batchSize: 10, writeUnitsPerUploadRow: 2 },
    );
    expect(cost.dynamodb).toBeCloseTo(5 * 0.625);
    expect(cost.sqs).toBeCloseTo(0.4);
    expect(cost.s3).toBeCloseTo(5.4);
    expect(cost.lambda).toBeCloseTo(0.02);
    expect(cost.eventbridge).toBe(0);
    // The same bucket heard through EventBridge: one event per upload, S3 still sends one message.
    const heardByEventBridge = costPerMillion(
      {
        'DynamoDB.PutItem': 2,
        'DynamoDB.UpdateItem': 2,
        'SQS.ReceiveMessage': 1,
        'S3.HeadObject': 1,
        'S3.CopyObject': 1,
        'EventBridge.Event (S3 opt-in data event)': 1,
      },
      1,
      { lambdaMemoryMb: 1024, lambdaMsPerBatch: 0, batchSize: 10, writeUnitsPerUploadRow: 2 },
    );
    expect(heardByEventBridge.eventbridge).toBeCloseTo(1);
    expect(heardByEventBridge.total).toBeCloseTo(cost.total + 1);
    // The upload events: one publish per upload, one publisher invocation per 100 uploads.
    const withEvents = costPerMillion(
      { 'DynamoDB.PutItem': 2 },
      1,
      { lambdaMemoryMb: 1024, lambdaMsPerBatch: 0, batchSize: 10, writeUnitsPerUploadRow: 2 },
      { publishesPerUpload: 1, invocationsPerUpload: 0.01 },
    );
    expect(withEvents.uploadEvents).toBeCloseTo(
      0.5 + 0.01 * (0.2 + 1_000_000 * 0.05 * 0.25 * 0.0000133334),
      2,
    );
  });

  it('counts SDK calls by service and operation, and DynamoDB writes among them', async () => {
    const { DynamoDBClient, PutItemCommand, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: {
        handle: async () => ({ response: { statusCode: 200, headers: {}, body: undefined } }),
      } as never,
    });
    const counter = new AwsCallCounter();
    counter.attach(client);
    const before = counter.snapshot();
    await client
      .send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'x' } } }))
      .catch(() => undefined);
    await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } })).catch(() => undefined);
    const counted = difference(counter.snapshot(), before);
    expect(counted).toEqual({ 'DynamoDB.GetItem': 1, 'DynamoDB.PutItem': 1 });
    expect(dynamoDbWrites(counted)).toBe(1);
    client.destroy();
  });
});

describe('what limited a run', () => {
  it('averages the busy samples of the ingest window only', () => {
    expect(meanOfFirst([1, 1, 0.5, 0, 0], 2.4)).toBeCloseTo(2.5 / 3);
    expect(meanOfFirst([0.8], 10)).toBeCloseTo(0.8);
    expect(meanOfFirst([], 3)).toBe(0);
  });

  it('tells a loop kept busy from one that waits', async () => {
    const spinning = await busyWhile(async () => {
      const until = performance.now() + 100;
      while (performance.now() < until);
    });
    const waiting = await busyWhile(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(spinning.busy).toBeGreaterThan(0.9);
    expect(waiting.busy).toBeLessThan(0.5);
  });

  it('sums a CPU profile by package group, leaving idle time out', () => {
    const frame = (url: string, functionName = 'f') => ({ url, functionName });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('', '(idle)') },
        { id: 2, callFrame: frame('file:///r/node_modules/@smithy/core/dist-cjs/index.js') },
        { id: 3, callFrame: frame('file:///r/node_modules/dynalite/actions/putItem.js') },
        { id: 4, callFrame: frame('node:_http_common') },
      ],
      samples: [1, 2, 2, 3, 4, 1],
      timeDeltas: [9000, 1000, 1000, 1000, 1000, 9000],
    };
    expect(summarizeCpuProfile(profile)).toEqual([
      { category: 'AWS SDK (@smithy, @aws-sdk)', ms: 2, share: 0.5 },
      { category: 'dynalite (DynamoDB)', ms: 1, share: 0.25 },
      { category: 'Node.js core (HTTP, streams, crypto)', ms: 1, share: 0.25 },
    ]);
  });

  it('names the rate asked for, CPU when the loop was saturated, DynamoDB at the bound, waits otherwise', () => {
    const run = { throughputPerSec: 100 };
    expect(limitingFactor({ ...run, rate: 105, eventLoopBusy: 0.7, boundRatio: 0.2 })).toMatch(
      /^the --rate of 105 uploads\/s asked for: the pipeline kept up with the event loop busy 70%/,
    );
    // A rate the pipeline could not keep up with did not limit it.
    expect(limitingFactor({ ...run, rate: 200, eventLoopBusy: 0.99, boundRatio: 0.4 })).toMatch(/^CPU: /);
    expect(limitingFactor({ ...run, eventLoopBusy: 0.99, boundRatio: 0.4 })).toMatch(/^CPU: .*busy 99%/);
    expect(limitingFactor({ ...run, eventLoopBusy: 0.5, boundRatio: 0.85 })).toMatch(/^DynamoDB: .* 85% /);
    expect(limitingFactor({ ...run, eventLoopBusy: 0.5, boundRatio: 0.4 })).toMatch(
      /^waiting: .*--worker-concurrency/,
    );
    expect(limitingFactor({ ...run, eventLoopBusy: null, boundRatio: null })).toMatch(/^not known here/);
  });
});

describe('load test options', () => {
  it('defaults to the embedded target and parses every option', () => {
    const command = parseLoadTestArgs(['--objects', '50', '--rate', '20', '--duplicate-rate', '0.5']);
    expect(command).toMatchObject({
      help: false,
      out: 'loadtest-report.json',
      options: { objects: 50, rate: 20, duplicateRate: 0.5, target: 'embedded', dynamodb: 'dynalite' },
    });
    expect(command).toMatchObject({ options: { malwareRate: 0 } });
    expect(parseLoadTestArgs(['--malware-rate', '0.05'])).toMatchObject({ options: { malwareRate: 0.05 } });
    expect(() => parseLoadTestArgs(['--malware-rate', '1.5'])).toThrow(
      '--malware-rate must be a number from 0 to 1',
    );
  });

  it('resolves a deployed stack by name only with --stack-name, and refuses the baseline there', () => {
    expect(
      parseLoadTestArgs(['--target', 'aws', '--stack-name', 'prod', '--region', 'eu-west-1']),
    ).toMatchObject({
      options: { target: 'aws', stackName: 'prod', region: 'eu-west-1' },
    });
    expect(() => parseLoadTestArgs(['--target', 'aws'])).toThrow('--target aws needs --stack-name NAME');
    expect(() => parseLoadTestArgs(['--target', 'aws', '--stack-name', 'p', '--baseline'])).toThrow(
      '--baseline',
    );
    expect(() => parseLoadTestArgs(['--target', 'gcp'])).toThrow('--target must be');
    expect(() => parseLoadTestArgs(['--late-rate', '2'])).toThrow('--late-rate must be a number from 0 to 1');
  });

  it('parses the runtime and every kind of chaos, and refuses chaos where it cannot be injected', () => {
    const command = parseLoadTestArgs([
      '--node',
      '24',
      '--kill-environments-every',
      '2.5',
      '--dynamodb-fault-rate',
      '0.02',
      '--s3-fault-rate',
      '0.01',
      '--outage',
      '5:3',
    ]);
    expect(command).toMatchObject({
      options: {
        runtime: 'bundle',
        node: '24',
        chaos: {
          killEnvironmentsEverySeconds: 2.5,
          dynamodbFaultRate: 0.02,
          s3FaultRate: 0.01,
          outage: { startSeconds: 5, seconds: 3 },
        },
      },
    });
    expect(parseLoadTestArgs(['--runtime', 'source'])).toMatchObject({
      options: { runtime: 'source', chaos: { dynamodbFaultRate: 0, s3FaultRate: 0 } },
    });
    expect(() => parseLoadTestArgs(['--runtime', 'lambda'])).toThrow('--runtime must be bundle or source');
    expect(() => parseLoadTestArgs(['--outage', '5'])).toThrow('--outage takes START:SECONDS');
    expect(() => parseLoadTestArgs(['--outage', '5:0'])).toThrow('--outage takes START:SECONDS');
    expect(() => parseLoadTestArgs(['--kill-environments-every', '0'])).toThrow('above 0');
    expect(() => parseLoadTestArgs(['--runtime', 'source', '--kill-environments-every', '1'])).toThrow(
      'only --runtime bundle has',
    );
    expect(() => parseLoadTestArgs(['--target', 'local', '--dynamodb-fault-rate', '0.1'])).toThrow(
      'use them with --target embedded',
    );
  });
});

describe('upload events check', () => {
  const row = (key: string, eTag: string) => ({
    pk: `s3://uploads/${key}`,
    sk: `U#2026-12-07T00:00:00.000Z#${eTag}`,
    bucket: 'uploads',
    key,
    eTag,
    status: 'STORED',
    eventTime: '2026-12-07T00:00:00.000Z',
    processedAt: '2026-12-07T00:00:01.000Z',
  });
  const eventOf = (source: Record<string, unknown>, receivedAtMs: number) => ({
    event: {
      schemaVersion: 1 as const,
      id: expectedEventId(source) ?? '',
      type: 'upload.recorded' as const,
      time: String(source.processedAt),
      bucket: 'uploads',
      key: String(source.key),
      status: 'STORED',
      eventTime: String(source.eventTime),
    },
    receivedAtMs,
  });

  it('counts missing, orphan and repeated events, and the latency of the first receipt', () => {
    const rows = [row('run/a', 'e1'), row('run/b', 'e2'), row('run/c', 'e3')];
    const at = Date.parse('2026-12-07T00:00:01.000Z');
    const received = [
      eventOf(rows[0] ?? {}, at + 100),
      eventOf(rows[0] ?? {}, at + 900), // the same id again: a repeat, not a second latency sample
      eventOf(rows[1] ?? {}, at + 300),
      eventOf(row('run/ghost', 'e9'), at + 5), // no such row
      eventOf(row('other-run/x', 'e1'), at + 5), // another run's: not counted
    ];
    const check = checkEvents(rows, received, 'run/');
    expect(check).toMatchObject({ expected: 3, received: 4, missing: 1, orphan: 1, duplicated: 1 });
    expect(check.latencyMs.max).toBe(300);
    expect(check.latencyMs.p50).toBeGreaterThanOrEqual(100);
  });

  it('expects a correction for each row a malware scan rejected after it was written', () => {
    const infected = {
      ...row('run/eicar', 'e4'),
      status: 'REJECTED',
      reason: 'malware: EICAR-Test-File',
      scanStatus: 'COMPLETED',
      scanResult: 'THREATS_FOUND',
      scannedAt: '2026-12-07T00:00:02.000Z',
    };
    const correctionId = expectedCorrectionId(infected) ?? '';
    expect(correctionId).toMatch(/^[0-9a-f]{32}$/);
    expect(correctionId).not.toBe(expectedEventId(infected));
    // Rejected by the content check when written: no correction follows.
    expect(expectedCorrectionId({ ...infected, reason: 'type: application/x-msdownload' })).toBeUndefined();
    const at = Date.parse('2026-12-07T00:00:01.000Z');
    const recorded = eventOf(infected, at + 10);
    const corrected = {
      ...recorded,
      event: { ...recorded.event, id: correctionId, type: 'upload.corrected' as const },
    };
    expect(checkEvents([infected], [recorded, corrected], 'run/')).toMatchObject({
      expected: 2,
      missing: 0,
      orphan: 0,
    });
    expect(checkEvents([infected], [recorded], 'run/')).toMatchObject({ expected: 2, missing: 1 });
  });
});
