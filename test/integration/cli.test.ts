import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gsiShard } from '../../src/core/log-items.js';
import { buildS3Notification } from '../../src/core/s3-notification.js';
import { SequencerClock } from '../../src/local/notification.js';
import type { LocalStack } from '../../src/local/stack.js';
import { parseCsv } from '../../src/tools/format.js';
import { type CliRun, hasStackTrace, runCli, runPasted } from '../support/cli.js';
import { drained, startTestStack, uploadLogReader } from '../support/pipeline.js';

// The real `s3-ingest` binary as a child process against a local stack: stdout carries only the
// result, errors are one line with exit code 2 (usage) or 1 (failure), and the repair and replay
// commands do what they say.

let stack: LocalStack;
let stackFile: string;
let log: ReturnType<typeof uploadLogReader>;
const sequencers = new SequencerClock();
const onStack = (...args: string[]) => runCli([...args, '--stack-file', stackFile]);

async function upload(key: string, body: string): Promise<string> {
  const { ETag } = await stack.clients.s3.send(
    new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: body }),
  );
  return ETag?.replace(/"/g, '') ?? '';
}

/** One line on stderr, no stack frames, the expected exit code. */
function expectOneLineError(run: CliRun, status: number, text: string): void {
  expect(run.status, run.stderr).toBe(status);
  expect(run.stderr).toContain(text);
  expect(hasStackTrace(run.stderr)).toBe(false);
  expect(run.stdout).toBe('');
}

beforeAll(async () => {
  stack = await startTestStack({ maxReceiveCount: 2 });
  stackFile = join(mkdtempSync(join(tmpdir(), 's3-ingest-cli-')), 'stack.json');
  writeFileSync(stackFile, JSON.stringify(stack.description));
  log = uploadLogReader(stack);
});
afterAll(async () => {
  await stack?.stop();
});

// Each test runs the binary several times (a couple of seconds each through tsx, more while another
// test file runs beside this one): a bound of two minutes, not the default 30 s.
describe('s3-ingest', { timeout: 120_000 }, () => {
  it('prints help at every level', async () => {
    for (const args of [
      ['--help'],
      ['redrive', '--help'],
      ['redrive', 'replay', '--help'],
      ['uploads', '--help'],
      ['backfill', '--help'],
      ['reprocess', '--help'],
      ['start', '--help'],
      ['loadtest', '--help'],
    ]) {
      const run = await runCli(args);
      expect(run.status, args.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/Usage:/);
    }
  });

  it('answers usage errors with one line and exit code 2', async () => {
    expectOneLineError(await onStack('uploads', '--bogus'), 2, "error: unknown option '--bogus'");
    expectOneLineError(
      await onStack('uploads', '--limit', '-1'),
      2,
      "'--limit <n>' argument '-1' is invalid",
    );
    expectOneLineError(
      await runCli(['redrive', 'peek', '--stack-file', stackFile, '--limit']),
      2,
      "option '--limit <n>' argument missing",
    );
    expectOneLineError(
      await onStack('uploads', '--after', 'nonsense'),
      2,
      '--after takes the cursor an earlier page printed',
    );
    expectOneLineError(
      await onStack('redrive', 'discard', '--filter', 'key-prefix', '--yes'),
      2,
      'filter "key-prefix" needs a value: key-prefix=VALUE',
    );
    expectOneLineError(await onStack('redrive', 'cancel', '--task', 'x'), 2, 'move tasks exist on AWS only');
    expectOneLineError(await onStack('redrive', 'progress'), 2, 'move tasks exist on AWS only');
    expectOneLineError(
      await onStack('backfill', '--batch-operations'),
      2,
      '--batch-operations runs over an S3 Inventory report: add --inventory',
    );
    expectOneLineError(
      await onStack('backfill', '--batch-operations', '--inventory', 's3://inv/m.json'),
      2,
      'has no backfill function: deploy with -c backfillFunction=true -c inventoryBucket=NAME',
    );
    // The commands with parsers of their own answer usage mistakes the same way.
    expectOneLineError(await runCli(['loadtest', '--bogus']), 2, "loadtest: Unknown option '--bogus'");
    expectOneLineError(await runCli(['start', '--bogus']), 2, "npm start failed: Unknown option '--bogus'");
    const noRegion = await runCli(['uploads', '--stack-name', 'prod'], {
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    });
    expectOneLineError(noRegion, 2, 'no AWS region: add --region REGION, or set AWS_REGION');
  });

  it('answers failures with one line and exit code 1, the stack trace only with --debug', async () => {
    const stale = join(mkdtempSync(join(tmpdir(), 's3-ingest-stale-')), 'stack.json');
    writeFileSync(
      stale,
      JSON.stringify({
        ...stack.description,
        endpoints: { s3: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9' },
      }),
    );
    expectOneLineError(
      await runCli(['uploads', '--stack-file', stale]),
      1,
      `no local stack answers at http://127.0.0.1:9 (from ${stale}): is \`npm start\` running?`,
    );
    expectOneLineError(
      await onStack('backfill', '--bucket', 'no-such-bucket', '--force'),
      1,
      'bucket no-such-bucket does not exist',
    );
    const debug = await onStack('backfill', '--bucket', 'no-such-bucket', '--force', '--debug');
    expect(debug.status).toBe(1);
    expect(hasStackTrace(debug.stderr)).toBe(true);
  });

  it('writes only the result to stdout: CSV and JSON that parse', async () => {
    const keys = ['cli/a.txt', 'cli/b, "quoted".txt', 'cli/c.exe'];
    for (const key of keys) await upload(key, key);
    await drained(stack);
    const csv = await onStack('uploads', '--bucket', 'uploads', '--format', 'csv');
    expect(csv.status).toBe(0);
    const [header, ...rows] = parseCsv(csv.stdout);
    expect(header?.slice(0, 4)).toEqual(['eventTime', 'bucket', 'key', 'status']);
    expect(rows.map((row) => row[2]).sort()).toEqual(expect.arrayContaining(keys));
    expect(rows.find((row) => row[2] === 'cli/c.exe')?.[3]).toBe('REJECTED');

    const json = await onStack('uploads', '--bucket', 'uploads', '--status', 'REJECTED', '--json');
    expect(JSON.parse(json.stdout)).toEqual({ rows: [expect.objectContaining({ key: 'cli/c.exe' })] });
    const object = await onStack('uploads', '--object', 's3://uploads/cli/a.txt', '--json');
    expect(JSON.parse(object.stdout)).toEqual({
      rows: [expect.objectContaining({ key: 'cli/a.txt', status: 'STORED' })],
      state: expect.objectContaining({ status: 'PRESENT' }),
    });
    const status = await onStack('redrive', 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ dlq: { visible: expect.any(Number) } });
    const peek = await onStack('redrive', 'peek', '--json');
    expect(Array.isArray(JSON.parse(peek.stdout))).toBe(true);
  });

  it('shows hostile keys and bodies escaped, and prints a paging hint that is safe to paste', async () => {
    // Prepare: keys that clear the screen, set the title, forge a row, reverse text, and break quoting.
    const dir = mkdtempSync(join(tmpdir(), 's3-ingest-hostile-'));
    const keys = [
      "hostile/a'$(touch pwned)'",
      'hostile/b\u001b[2J\u001b]0;owned\u0007',
      'hostile/c\r\n2026-01-01T00:00:00.000Z  uploads  forged.txt  STORED',
      'hostile/d\u202etxt.exe',
    ];
    const from = new Date(Date.now() - 1000).toISOString();
    for (const key of keys) await upload(key, key);
    await drained(stack);
    // A message in the DLQ whose key (URL-encoded in the body, as S3 sends it) hides an OSC 8 link.
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.dlq.url,
        MessageBody: JSON.stringify(
          buildS3Notification({
            eventName: 'ObjectCreated:Put',
            bucket: 'uploads',
            key: 'hostile/\u001b[2J\u001b]8;;http://evil\u0007x',
            eTag: 'e',
            size: 1,
            eventTime: new Date(),
            sequencer: sequencers.next(),
            principalId: 'AWS:test',
            sourceIp: '127.0.0.1',
            requestId: 'HOSTILE',
            region: 'us-east-1',
          }),
        ),
      }),
    );
    // Act
    const table = await onStack('uploads', '--bucket', 'uploads', '--from', from, '--limit', '2');
    const whole = await onStack('uploads', '--bucket', 'uploads', '--from', from);
    const peek = await onStack('redrive', 'peek');
    const json = await onStack('uploads', '--bucket', 'uploads', '--from', from, '--json');
    // Assess: nothing a terminal acts on reaches it; JSON stays exact.
    for (const output of [table.stdout, table.stderr, whole.stdout, peek.stdout]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
      expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    }
    expect(whole.stdout.split('\n').filter((line) => line.includes('forged.txt'))).toEqual([
      expect.stringContaining('hostile/c\\r\\n2026-01-01'),
    ]);
    expect(peek.stdout).toContain('\\x1b[2J');
    expect(JSON.parse(json.stdout).rows.map((row: { key: string }) => row.key)).toEqual(keys);
    // The hint, pasted into a shell as printed, runs nothing and reads the next page.
    const hint = /more rows: add (--after \S+)$/m.exec(table.stderr)?.[1];
    expect(hint).toMatch(/^--after [A-Za-z0-9_-]+$/);
    const next = await runPasted(
      `s3-ingest uploads --bucket uploads --from ${from} --limit 2 --json --stack-file ${stackFile} ${hint}`,
      dir,
    );
    expect(JSON.parse(next.stdout).rows.map((row: { key: string }) => row.key)).toEqual(keys.slice(2, 4));
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    // Tidy: the DLQ message goes.
    await onStack(
      'redrive',
      'discard',
      '--filter',
      'key-prefix=hostile/',
      '--yes',
      '--out',
      join(dir, 'd.ndjson'),
    );
  });

  it('query every shard the stack writes (16 here), and refuse a bucket the stack does not watch', async () => {
    const sixteen = await startTestStack({ workerEnv: { GSI_SHARD_COUNT: '16' } });
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `shards/${i}.txt`)
        .filter((key) => gsiShard(key, 16) >= 8)
        .slice(0, 5);
      expect(keys).toHaveLength(5);
      for (const key of keys)
        await sixteen.clients.s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: key }));
      await drained(sixteen);
      const file = join(mkdtempSync(join(tmpdir(), 's3-ingest-stack-')), 'stack.json');
      writeFileSync(file, JSON.stringify(sixteen.description));
      const rows = await runCli(['uploads', '--bucket', 'uploads', '--json', '--stack-file', file]);
      expect(
        JSON.parse(rows.stdout)
          .rows.map((row: { key: string }) => row.key)
          .sort(),
      ).toEqual([...keys].sort());
      expectOneLineError(
        await runCli(['uploads', '--bucket', 'uploads-private', '--stack-file', file]),
        1,
        `bucket uploads-private is not watched by ${file}: it records uploads to uploads`,
      );
    } finally {
      await sixteen.stop();
    }
  });
});

describe('reprocess', () => {
  it('replaces a row recorded wrongly (GONE during an outage), with an audit trail; a dry run changes nothing', async () => {
    // Prepare: a stored object whose row says GONE, as an outage could have left it.
    const eTag = await upload('cli/repair.txt', 'repair me');
    await drained(stack);
    const documents = DynamoDBDocumentClient.from(stack.clients.dynamodb);
    const key = { pk: 's3://uploads/cli/repair.txt', sk: eTag };
    await documents.send(
      new UpdateCommand({
        TableName: stack.names.uploadLogTable,
        Key: key,
        UpdateExpression: 'SET #status = :gone, #reason = :reason REMOVE copiedTo',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: { ':gone': 'GONE', ':reason': 'object no longer exists' },
      }),
    );
    // Act: a dry run, then the real thing.
    const dry = await onStack('reprocess', 's3://uploads/cli/repair.txt', '--dry-run', '--json');
    const rowAfterDryRun = (
      await documents.send(new GetCommand({ TableName: stack.names.uploadLogTable, Key: key }))
    ).Item;
    const real = await onStack('reprocess', 's3://uploads/cli/repair.txt', '--json');
    const again = await onStack('reprocess', 's3://uploads/cli/repair.txt', '--json');
    // Assess
    expect(JSON.parse(dry.stdout).results).toEqual([
      expect.objectContaining({
        action: 'replaced',
        dryRun: true,
        previous: { status: 'GONE', reason: 'object no longer exists' },
        now: expect.objectContaining({ status: 'STORED' }),
      }),
    ]);
    expect(rowAfterDryRun).toMatchObject({ status: 'GONE' });
    expect(real.status, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout).results[0]).toMatchObject({
      action: 'replaced',
      now: { status: 'STORED', copiedTo: 's3://uploads-private/uploads/cli/repair.txt' },
    });
    const [row] = await log.uploadsOf('cli/repair.txt');
    expect(row).toMatchObject({
      status: 'STORED',
      previousStatus: 'GONE',
      previousReason: 'object no longer exists',
      reprocessedAt: expect.any(String),
    });
    expect(row?.reason).toBeUndefined();
    expect(JSON.parse(again.stdout).results[0]).toMatchObject({ action: 'unchanged' });
  });

  it('takes many objects from the CSV that uploads writes', async () => {
    await upload('cli/many-1.txt', 'one');
    await upload('cli/many-2.txt', 'two');
    await drained(stack);
    const csv = await onStack('uploads', '--bucket', 'uploads', '--format', 'csv');
    const file = join(mkdtempSync(join(tmpdir(), 's3-ingest-reprocess-')), 'rows.csv');
    writeFileSync(
      file,
      csv.stdout
        .split('\n')
        .filter((line, i) => i === 0 || line.includes('cli/many-'))
        .join('\n'),
    );
    const run = await onStack('reprocess', '--from-file', file, '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(
      JSON.parse(run.stdout).results.map((r: { object: string; action: string }) => [r.object, r.action]),
    ).toEqual([
      ['s3://uploads/cli/many-1.txt', 'unchanged'],
      ['s3://uploads/cli/many-2.txt', 'unchanged'],
    ]);
  });
});

describe('redrive replay and backfill guards', () => {
  it('replays what discard saved, after a dry run, and the worker ingests it', async () => {
    // Prepare: a valid notification judged poison and discarded by mistake.
    const eTag = await upload('cli/replayed.txt', 'replay me');
    await drained(stack);
    const body = JSON.stringify(
      buildS3Notification({
        eventName: 'ObjectCreated:Put',
        bucket: 'uploads',
        key: 'cli/replayed.txt',
        eTag,
        size: 9,
        eventTime: new Date(),
        sequencer: sequencers.next(),
        principalId: 'AWS:test',
        sourceIp: '127.0.0.1',
        requestId: 'REPLAY',
        region: 'us-east-1',
      }),
    );
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: body }),
    );
    const file = join(mkdtempSync(join(tmpdir(), 's3-ingest-replay-')), 'discarded.ndjson');
    const discard = await onStack(
      'redrive',
      'discard',
      '--filter',
      'key-prefix=cli/replayed',
      '--yes',
      '--out',
      file,
      '--json',
    );
    expect(JSON.parse(discard.stdout)).toMatchObject({ discarded: 1, file });
    const duplicatesBefore = stack.metrics.totals().DuplicatesSkipped;
    // Act
    const dry = await onStack('redrive', 'replay', '--file', file, '--dry-run', '--json');
    const real = await onStack('redrive', 'replay', '--file', file, '--filter', 'bucket=uploads', '--json');
    await drained(stack);
    // Assess
    expect(JSON.parse(dry.stdout)).toEqual({ file, dryRun: true, sent: 1, skipped: 0, unwatched: 0 });
    expect(JSON.parse(real.stdout)).toEqual({ file, dryRun: false, sent: 1, skipped: 0, unwatched: 0 });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    // The worker handled it: the same content, so a duplicate and no second row.
    expect(stack.metrics.totals().DuplicatesSkipped - duplicatesBefore).toBe(1);
    expect(await log.uploadsOf('cli/replayed.txt')).toHaveLength(1);
  });

  it('backfill refuses the copy destination and unwatched buckets unless --force', async () => {
    expectOneLineError(
      await onStack('backfill', '--bucket', 'uploads-private'),
      2,
      'uploads-private is the copy destination',
    );
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'uploads-private', Key: 'forced/x.txt', Body: 'x' }),
    );
    const forced = await onStack(
      'backfill',
      '--bucket',
      'uploads-private',
      '--prefix',
      'forced/',
      '--force',
      '--json',
    );
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ bucket: 'uploads-private', listed: 1, enqueued: 1 });
    await drained(stack);
  });
});
