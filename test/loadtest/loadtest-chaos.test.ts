import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/run.js';
import { verdictOf } from '../../loadtest/summary.js';
import { smallRun } from '../support/loadtest-options.js';

describe('load test with chaos, on the embedded stack', () => {
  it('loses, duplicates and miscounts nothing with every kind of fault injected at once', async () => {
    const report = await runLoadTest(
      smallRun({
        objects: 150,
        duplicateRate: 0.3,
        lateRate: 0.05,
        poisonRate: 0.02,
        rate: 20,
        seed: 5,
        chaos: {
          killEnvironmentsEverySeconds: 1.5,
          dynamodbFaultRate: 0.1,
          s3FaultRate: 0.1,
          outage: { startSeconds: 2, seconds: 1.5 },
        },
      }),
    );
    // Every kind of fault happened.
    expect(report.chaos?.environmentsKilled).toBeGreaterThan(0);
    expect(report.chaos?.eventSourceKills).toBeGreaterThan(0);
    expect(report.chaos?.faultsInjected.dynamodbUnreachable).toBeGreaterThan(0);
    const faults = report.chaos?.faultsInjected;
    expect((faults?.dynamodbThrottle ?? 0) + (faults?.dynamodbServerError ?? 0)).toBeGreaterThan(0);
    expect((faults?.s3ServerError ?? 0) + (faults?.s3SlowDown ?? 0)).toBeGreaterThan(0);
    // And the pipeline absorbed them.
    expect(report).toMatchObject({
      missing: 0,
      duplicateRows: 0,
      wrongState: 0,
      goodMessagesInDlq: 0,
      dlqPoison: report.poisonInjected,
      metricsMatch: true,
      runtime: { mode: 'bundle' },
    });
    expect(report.runtime?.environments).toBeGreaterThan(report.chaos?.environmentsKilled ?? 0);
    // Every row announced, nothing announced that is not a row; repeats (kills) are allowed.
    expect(report.events).toMatchObject({ expected: report.rowsVerified, missing: 0, orphan: 0 });
    expect(verdictOf(report)).toEqual({ passed: true, reasons: [] });
  }, 180_000);
});
