import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StackDescription } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { type NpmStart, spawnNpmStart } from '../support/npm-start.js';

const started: NpmStart[] = [];
afterAll(() => {
  for (const start of started) start.kill();
});
const spawnTracked = (...args: Parameters<typeof spawnNpmStart>) => {
  const start = spawnNpmStart(...args);
  started.push(start);
  return start;
};

/** Whether something still accepts connections on 127.0.0.1:port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('runs the demo on the whole pipeline, writes the stack file, and stops cleanly on SIGINT', async () => {
    // Prepare
    const start = spawnTracked(['--demo']);
    // Act
    await waitFor('the demo to finish', () => start.output().includes('[demo] done'), {
      timeoutMs: 45_000,
      intervalMs: 100,
    });
    const { stackFile } = start;
    const description = JSON.parse(readFileSync(stackFile, 'utf8')) as StackDescription;
    const consoleUrl = description.endpoints.console ?? '';
    const ports = [description.endpoints.s3, description.endpoints.dynamodb, consoleUrl].map((url) =>
      Number(new URL(url).port),
    );
    // The console it serves, and says where.
    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>s3-ingest console</title>');
    const code = await start.interrupt();
    const output = start.output();
    // Assess
    expect(output).toContain('s3-ingest local stack is ready');
    expect(output).toContain('aws --endpoint-url http://127.0.0.1:');
    expect(output).toContain(`Console: ${consoleUrl}`);
    expect(output).toMatch(/upload REJECTED \(extension \.exe is blocked\)/);
    expect(output).toContain('[demo] done: ingested 2, duplicates 1, rejected 1');
    expect(description).toMatchObject({
      region: 'us-east-1',
      buckets: { uploads: 'uploads', copyDestination: 'uploads-private' },
      tables: { uploads: 'upload-log', idempotency: 'idempotency' },
    });
    expect(description.queues.ingest).toMatch(/ingest-queue$/);
    expect(code).toBe(0);
    expect(existsSync(stackFile)).toBe(false);
    for (const port of ports) expect(await portOpen(port)).toBe(false);
  }, 60_000);

  it('refuses a second start that would take over a running one’s stack file, and names a taken port', async () => {
    // Prepare
    const first = spawnTracked([]);
    await waitFor('the first stack', () => first.output().includes('local stack is ready'), {
      timeoutMs: 30_000,
    });
    const description = JSON.parse(readFileSync(first.stackFile, 'utf8')) as StackDescription;
    const stateDir = dirname(first.stackFile);
    // Act
    const second = spawnTracked([], stateDir);
    const secondCode = await second.exited;
    const s3Port = new URL(description.endpoints.s3).port;
    const third = spawnTracked(['--s3-port', s3Port]);
    const thirdCode = await third.exited;
    // Assess
    expect(secondCode).toBe(1);
    expect(second.output()).toContain(`another local stack is running and owns ${first.stackFile}`);
    expect(second.output()).toContain('LOCAL_STATE_DIR=.local-2');
    expect(JSON.parse(readFileSync(first.stackFile, 'utf8'))).toEqual(description);
    expect(thirdCode).toBe(1);
    expect(third.output()).toContain(
      `port ${s3Port} on 127.0.0.1 is in use, perhaps by another npm start or by LocalStack`,
    );
    expect(await first.interrupt()).toBe(0);
  }, 90_000);

  it('stops at once on Ctrl-C during the demo, without a failure', async () => {
    const start = spawnTracked(['--demo']);
    await waitFor('the demo to start', () => start.output().includes('[demo] uploaded'), {
      timeoutMs: 30_000,
    });
    const began = Date.now();
    const code = await start.interrupt();
    expect(code).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(start.output()).not.toContain('failed');
    expect(start.output()).toContain('stopped.');
  }, 60_000);

  it('refuses option values that could never work, naming them', async () => {
    for (const [args, message] of [
      [['--concurrency', '0'], '--concurrency must be a whole number from 1 to 1000, got "0"'],
      [['--batch-size', '0'], '--batch-size must be a whole number from 1 to 10000, got "0"'],
      [['--batching-window-ms=-5'], '--batching-window-ms must be a whole number from 0 to 300000'],
      [['--runtime', 'lambda'], '--runtime must be one of bundle, source, got "lambda"'],
      [['-c', 'batchSiz=5'], 'unknown context key batchSiz (did you mean batchSize?)'],
      [['-c', 'workerTimeoutSeconds'], '-c takes KEY=VALUE, got "workerTimeoutSeconds"'],
    ] as const) {
      const start = spawnTracked([...args]);
      expect(await start.exited).toBe(2);
      expect(start.output()).toContain(message);
    }
  }, 60_000);
});
