import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalConsole } from '../../src/console/local-console.js';
import { LocalMetrics } from '../../src/console/local-metrics.js';
import { type RunningConsole, startConsole } from '../../src/console/server.js';
import type { LocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { targetFromStackFile } from '../../src/tools/target.js';
import { runCli as runCliProcess } from '../support/cli.js';
import { drained, queueDepth, startTestStack } from '../support/pipeline.js';

// The console's server over HTTP, without a browser (test/browser drives the pages).
let stack: LocalStack;
let local: RunningConsole;
let readOnly: RunningConsole;
let readOnlyMetrics: LocalMetrics;

beforeAll(async () => {
  stack = await startTestStack();
  local = await startLocalConsole(stack, 0);
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

const post = (running: RunningConsole, path: string, body: unknown) =>
  fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: new URL(running.url).origin,
      'x-console-token': running.token,
    },
    body: JSON.stringify(body),
  });

describe('the console server', () => {
  it('serves uploads as JSON and as the CSV `uploads --format csv` writes', async () => {
    const page = (await (await fetch(`${local.url}api/uploads?bucket=uploads`)).json()) as {
      rows: { key: string }[];
    };
    expect(page.rows.map((row) => row.key)).toContain('csv/a "quoted", key.txt');
    const csv = await fetch(`${local.url}api/uploads.csv?bucket=uploads`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text).toMatch(/^eventTime,bucket,key,status,/);
    expect(text).toContain('"csv/a ""quoted"", key.txt"');
    expect((await fetch(`${local.url}api/uploads?bucket=not-watched`)).status).toBe(400);
  });

  it('sends no CORS headers and forbids framing, and the page holds its token', async () => {
    const answer = await fetch(local.url, { headers: { origin: 'http://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await answer.text()).toContain(`content="${local.token}"`);
  });

  it('is read-only without --allow-changes: a redrive with the token and origin is refused', async () => {
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: 'x' }),
    );
    const refused = await post(readOnly, 'api/dlq/redrive', {});
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: expect.stringContaining('--allow-changes') });
    expect(await queueDepth(stack.clients.sqs, stack.queues.dlq.url)).toBe(1);
    // Discard needs a confirmation and a selection, even where changes are allowed.
    expect((await post(local, 'api/dlq/discard', { filters: ['malformed'] })).status).toBe(400);
    expect((await post(local, 'api/dlq/discard', { confirm: true })).status).toBe(400);
    const discarded = await post(local, 'api/dlq/discard', { filters: ['malformed'], confirm: true });
    expect(await discarded.json()).toMatchObject({ discarded: 1, file: expect.stringMatching(/\.ndjson$/) });
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
