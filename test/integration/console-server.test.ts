import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalConsole } from '../../src/console/local-console.js';
import { LocalMetrics } from '../../src/console/local-metrics.js';
import { type RunningConsole, startConsole } from '../../src/console/server.js';
import { buildUploadRow } from '../../src/core/log-items.js';
import type { LocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { parseExportedCsv } from '../../src/tools/format.js';
import { targetFromStackFile } from '../../src/tools/target.js';
import { runCli as runCliProcess } from '../support/cli.js';
import { drained, queueDepth, startTestStack } from '../support/pipeline.js';

// The console's server over HTTP, without a browser (test/browser drives the pages).
let stack: LocalStack;
let local: RunningConsole;
let readOnly: RunningConsole;
let readOnlyMetrics: LocalMetrics;
let stateDir: string;

beforeAll(async () => {
  stack = await startTestStack({ uploadEvents: true });
  stateDir = mkdtempSync(join(tmpdir(), 's3-ingest-state-'));
  local = await startLocalConsole(stack, 0, { discardDirectory: stateDir });
  const target = targetFromStackFile(stack.description, 'read-only test');
  readOnlyMetrics = new LocalMetrics(
    stack.activity,
    stack.clients.sqs,
    target,
    stack.description.endpoints.sqs,
  );
  // As `s3-ingest console --target aws` runs without --allow-changes.
  readOnly = await startConsole(
    { target, clients: stack.clients, metrics: readOnlyMetrics, allowChanges: false },
    0,
  );
  await stack.clients.s3.send(
    new PutObjectCommand({ Bucket: stack.names.uploadsBucket, Key: 'csv/a "quoted", key.txt', Body: 'a' }),
  );
  await drained(stack);
});
afterAll(async () => {
  readOnlyMetrics?.stop();
  await readOnly?.close();
  await local?.close();
  await stack?.stop();
});

const post = (running: RunningConsole, path: string, body: unknown, contentType = 'application/json') =>
  fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      origin: new URL(running.url).origin,
      'x-console-token': running.token,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (running: RunningConsole, path: string, headers: Record<string, string> = {}) =>
  fetch(`${running.url}${path}`, { headers: { 'x-console-token': running.token, ...headers } });

async function receiveCountOfDlq(): Promise<number> {
  const inspection = (await (
    await fetch(`${stack.description.endpoints.sqs}/_fauxqs/queues/${stack.names.dlq}`)
  ).json()) as { messages: { ready: { approximateReceiveCount?: number }[] } };
  return inspection.messages.ready.reduce((sum, m) => sum + (m.approximateReceiveCount ?? 0), 0);
}

describe('the console server', () => {
  it('serves uploads as JSON and as the CSV `uploads --format csv` writes', async () => {
    const page = (await (await get(local, 'api/uploads?bucket=uploads')).json()) as {
      rows: { key: string }[];
    };
    expect(page.rows.map((row) => row.key)).toContain('csv/a "quoted", key.txt');
    const csv = await get(local, 'api/uploads.csv?bucket=uploads');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text).toMatch(/^eventTime,bucket,key,status,/);
    expect(text).toContain('"csv/a ""quoted"", key.txt"');
    expect((await get(local, 'api/uploads?bucket=not-watched')).status).toBe(400);
  });

  it('serves the upload events feed (dynalite, with its local stream), to the token only', async () => {
    const feed = (await (await get(local, 'api/events')).json()) as { available: boolean; reason?: string };
    expect(feed).toMatchObject({ available: true });
    expect((await fetch(`${local.url}api/events`)).status).toBe(403);
  });

  it('exports every row of a range as CSV, past any page size (streamed)', async () => {
    // Prepare: 10,050 rows of one day, written to the table directly.
    const documents = DynamoDBDocumentClient.from(stack.clients.dynamodb);
    const rows = Array.from({ length: 10_050 }, (_, i) =>
      buildUploadRow(
        {
          kind: 'created',
          bucket: 'uploads',
          key: `export/${String(i).padStart(5, '0')}`,
          eTag: `e${i}`,
          size: i,
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-10-01T12:00:00.000Z',
          sequencer: '01',
        },
        { status: 'STORED' },
        Date.parse('2026-10-01T12:00:01.000Z'),
        { gsiShardCount: 8 },
      ),
    );
    for (let i = 0; i < rows.length; i += 25) {
      await documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [stack.names.uploadLogTable]: rows.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    // Act
    const answer = await get(
      local,
      'api/uploads.csv?bucket=uploads&from=2026-10-01T00:00:00.000Z&to=2026-10-02T00:00:00.000Z',
    );
    // Assess: the header and every row, each once.
    const lines = parseExportedCsv(await answer.text());
    expect(lines[0]?.[0]).toBe('eventTime');
    const keys = lines.slice(1).map((cells) => cells[2]);
    expect(keys).toHaveLength(10_050);
    expect(new Set(keys).size).toBe(10_050);
  }, 120_000);

  it('sends no CORS headers and forbids framing; the page holds no token, the operator URL does', async () => {
    const answer = await fetch(local.url, { headers: { origin: 'http://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await answer.text()).not.toContain(local.token);
    expect(local.operatorUrl).toBe(`${local.url}#token=${local.token}`);
  });

  it('answers no API request without the token: a read from elsewhere peeks nothing', async () => {
    // Prepare
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: 'peek me not' }),
    );
    const receivesBefore = await receiveCountOfDlq();
    // Act: as an <img src> on another site would ask, and as a local process replaying the page.
    const untokened = await fetch(`${local.url}api/dlq`);
    // The router decodes %61 to "a": the check goes by the route matched, not the raw path.
    const encoded = await fetch(`${local.url}%61pi/dlq`);
    const foreign = await get(local, 'api/dlq', { origin: 'http://evil.example' });
    const nonAscii = await fetch(`${local.url}api/info`, {
      headers: { 'x-console-token': Buffer.from('\u00e9'.repeat(32), 'latin1').toString('latin1') },
    });
    // Assess
    expect(untokened.status).toBe(403);
    expect(encoded.status).toBe(403);
    expect(foreign.status).toBe(403);
    expect(nonAscii.status).toBe(403);
    expect(await receiveCountOfDlq()).toBe(receivesBefore);
    expect((await get(local, 'api/info')).status).toBe(200);
    // The operator's own peek is a receive (which is why no one else may cause one).
    expect((await get(local, 'api/dlq')).status).toBe(200);
    expect(await receiveCountOfDlq()).toBeGreaterThan(receivesBefore);
    // Tidy: the message goes in the discard below.
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: 'x' }),
    );
  });

  it('refuses a redrive body of the wrong shape and moves nothing; everything only on {"all": true}', async () => {
    const depth = () => queueDepth(stack.clients.sqs, stack.queues.dlq.url);
    const before = await depth();
    expect(before).toBeGreaterThan(0);
    for (const [body, type] of [
      ['{}', 'text/plain'],
      [{ messageId: ['m'] }, 'application/json'],
      [{ messageIds: 'm' }, 'application/json'],
      [{}, 'application/json'],
      ['not json', 'application/json'],
    ] as const) {
      const answer = await post(local, 'api/dlq/redrive', body, type);
      expect([400, 415]).toContain(answer.status);
    }
    expect(await depth()).toBe(before);
    // The copy is read-only: an explicit all is still refused there.
    expect((await post(readOnly, 'api/dlq/redrive', { all: true })).status).toBe(403);
  });

  it('is read-only without --allow-changes: a redrive with the token and origin is refused', async () => {
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: 'x' }),
    );
    const before = await queueDepth(stack.clients.sqs, stack.queues.dlq.url);
    const refused = await post(readOnly, 'api/dlq/redrive', { all: true });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: expect.stringContaining('--allow-changes') });
    expect(await queueDepth(stack.clients.sqs, stack.queues.dlq.url)).toBe(before);
    // Discard needs a confirmation and a selection, even where changes are allowed.
    expect((await post(local, 'api/dlq/discard', { filters: ['malformed'] })).status).toBe(400);
    expect((await post(local, 'api/dlq/discard', { confirm: true })).status).toBe(400);
    const discarded = await post(local, 'api/dlq/discard', { filters: ['malformed'], confirm: true });
    const answer = (await discarded.json()) as { discarded: number; file: string };
    expect(answer).toMatchObject({ discarded: expect.any(Number), file: expect.stringMatching(/\.ndjson$/) });
    expect(answer.discarded).toBeGreaterThanOrEqual(1);
    // It holds bodies: readable by its owner only, in the state directory.
    expect(statSync(answer.file).mode & 0o777).toBe(0o600);
    expect(answer.file.startsWith(stateDir)).toBe(true);
    await waitFor(
      'the DLQ to be empty',
      async () => (await queueDepth(stack.clients.sqs, stack.queues.dlq.url)) === 0,
    );
  });

  it('`s3-ingest console` on a local stack says where npm start serves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3-ingest-console-'));
    const withConsole = join(dir, 'with.json');
    writeFileSync(
      withConsole,
      JSON.stringify({
        ...stack.description,
        endpoints: { ...stack.description.endpoints, console: local.url },
      }),
    );
    const found = await runCliProcess(['console', '--stack-file', withConsole]);
    expect(found.stdout).toContain(`npm start serves this stack's console: ${local.url}`);
    expect(found.status).toBe(0);
    const without = join(dir, 'without.json');
    writeFileSync(without, JSON.stringify(stack.description));
    const missing = await runCliProcess(['console', '--stack-file', without]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('serves no console');
    expect((await runCliProcess(['console', '--port', 'x', '--stack-file', without])).status).toBe(2);
  });
});
