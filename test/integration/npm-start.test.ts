import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { StackDescription } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { type NpmStart, spawnNpmStart } from '../support/npm-start.js';

let started: NpmStart | undefined;
afterAll(() => started?.kill());

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
    const start = spawnNpmStart(['--demo']);
    started = start;
    // Act
    await waitFor('the demo to finish', () => start.output().includes('[demo] done'), {
      timeoutMs: 45_000,
      intervalMs: 100,
    });
    const { stackFile } = start;
    const description = JSON.parse(readFileSync(stackFile, 'utf8')) as StackDescription;
    const ports = [description.endpoints.s3, description.endpoints.dynamodb].map((url) =>
      Number(new URL(url).port),
    );
    const code = await start.interrupt();
    const output = start.output();
    // Assess
    expect(output).toContain('s3-ingest local stack is ready');
    expect(output).toContain('aws --endpoint-url http://127.0.0.1:');
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
});
