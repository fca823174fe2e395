import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/run.js';

describe('load test, small run on the embedded stack', () => {
  it('verifies every row with every fault kind injected, and the baseline shows its duplicates', async () => {
    const report = await runLoadTest({
      objects: 200,
      duplicateRate: 0.3,
      lateRate: 0.05,
      poisonRate: 0.02,
      sizeBytes: 256,
      concurrency: 8,
      target: 'embedded',
      dynamodb: 'dynalite',
      baseline: true,
      batchSize: 10,
      workerConcurrency: 4,
      visibilityTimeoutSeconds: 5,
      drainTimeoutMs: 120_000,
      seed: 3,
      calibrationPuts: 100,
    });
    // Correctness only: speed is the load test's report, not an assertion.
    expect(report).toMatchObject({
      objects: 200,
      uploads: 210,
      duplicatesInjected: 60,
      lateInjected: 10,
      poisonInjected: 4,
      rowsVerified: 210,
      missing: 0,
      duplicateRows: 0,
      wrongState: 0,
      dlqMessages: 4,
      dlqPoison: 4,
      metricsMatch: true,
      dynamodbWritesPerNewObject: 4,
      dynamodbWritesPerDuplicate: 2,
    });
    expect(report.problems).toEqual([]);
    expect(report.callsPerObject?.['S3.HeadObject']).toBe(1);
    expect(report.calibratedPutsPerSec).toBeGreaterThan(0);
    // The whole stack runs in this process: how busy it kept the event loop tells what limited the run.
    expect(report.eventLoopBusy?.ingest).toBeGreaterThan(0);
    expect(report.eventLoopBusy?.calibration).toBeGreaterThan(0);
    expect(report.limit).not.toMatch(/^not known here/);
    // The naive recipe writes a row per delivery: every duplicate is a duplicate row.
    expect(report.baseline?.duplicateRows).toBeGreaterThanOrEqual(60);
  }, 240_000);
});
