import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/run.js';
import { waitFor } from '../../src/local/wait.js';
import { type NpmStart, spawnNpmStart } from '../support/npm-start.js';

let started: NpmStart | undefined;
afterAll(() => started?.kill());

describe('load test against a running npm start (--target local)', () => {
  it('finds the stack from its stack file, injects faults by SQS, and verifies rows and EMF totals', async () => {
    // Prepare: npm start as a user runs it for quick retries (2 receives before the DLQ, 10 s
    // visibility timeout). Shorter, a batch slowed past it by a busy machine is received and
    // succeeds twice, which the worker counts twice (docs/worker.md, "Counting").
    const start = spawnNpmStart(['--max-receive', '2', '--visibility-timeout', '10']);
    started = start;
    await waitFor('npm start to write its stack file', () => existsSync(start.stackFile), {
      timeoutMs: 45_000,
      intervalMs: 100,
    });
    // Act
    const report = await runLoadTest({
      objects: 60,
      duplicateRate: 0.3,
      lateRate: 0.1,
      poisonRate: 0.05,
      sizeBytes: 256,
      concurrency: 8,
      target: 'local',
      stackFile: start.stackFile,
      dynamodb: 'dynalite',
      baseline: false,
      batchSize: 10,
      workerConcurrency: 4,
      visibilityTimeoutSeconds: 10,
      drainTimeoutMs: 90_000,
      seed: 11,
      calibrationPuts: 50,
      runtime: 'bundle',
      chaos: { dynamodbFaultRate: 0, s3FaultRate: 0 },
    });
    const code = await start.interrupt();
    // Assess: correctness only.
    expect(report.target).toMatch(/^local /);
    expect(report).toMatchObject({
      objects: 60,
      uploads: 66,
      duplicatesInjected: 18,
      lateInjected: 6,
      poisonInjected: 3,
      rowsVerified: 66,
      missing: 0,
      duplicateRows: 0,
      wrongState: 0,
      dlqMessages: 3,
      dlqPoison: 3,
      metricsMatch: true,
      // npm start publishes the upload events: every row's event reached the load test's subscriber.
      events: { expected: 66, missing: 0, orphan: 0 },
      // The stack runs in the other process: its calls and its event loop are not seen from here.
      callsPerObject: null,
      eventLoopBusy: null,
    });
    expect(report.problems).toEqual([]);
    expect(report.limit).toMatch(/^not known here/);
    expect(code).toBe(0);
  }, 180_000);
});
