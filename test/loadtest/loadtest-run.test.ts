import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../loadtest/html-report.js';
import { runLoadTest } from '../../loadtest/run.js';
import { summarize, verdictOf } from '../../loadtest/summary.js';
import { findClamAv } from '../../src/local/malware-scanner.js';
import { smallRun } from '../support/loadtest-options.js';

const clamAv = findClamAv();
if (!clamAv) {
  // CI installs ClamAV (.ci/run): there, a missing scanner is a failure, not a reason to skip.
  if (process.env.CI) throw new Error('the malware load test needs ClamAV (apt-get install -y clamav)');
  process.stderr.write(
    '\nThe malware load test did not run: ClamAV is not installed (apt-get install -y clamav).\n',
  );
}

describe('load test, small run on the embedded stack', () => {
  it('verifies every row with every fault kind injected, and the baseline shows its duplicates', async () => {
    const report = await runLoadTest(
      smallRun({
        objects: 200,
        duplicateRate: 0.3,
        lateRate: 0.05,
        poisonRate: 0.02,
        baseline: true,
        seed: 3,
        calibrationPuts: 100,
      }),
    );
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
    // Each row announced once to a subscriber of the events topic, and nothing else of this run.
    expect(report.events).toMatchObject({
      expected: 210,
      received: 210,
      missing: 0,
      orphan: 0,
      duplicated: 0,
    });
    expect(report.callsPerObject?.['S3.HeadObject']).toBe(1);
    expect(report.calibratedPutsPerSec).toBeGreaterThan(0);
    // The whole stack runs in this process: how busy it kept the event loop tells what limited the run.
    expect(report.eventLoopBusy?.ingest).toBeGreaterThan(0);
    expect(report.eventLoopBusy?.calibration).toBeGreaterThan(0);
    expect(report.limit).not.toMatch(/^not known here/);
    // The naive recipe writes a row per delivery: every duplicate is a duplicate row.
    expect(report.baseline?.duplicateRows).toBeGreaterThanOrEqual(60);
    // Measured as the main run is: to each object's newest content first recorded, not to the
    // delayed duplicates the naive handler writes again after the drain.
    expect(report.baseline?.ingestSeconds).toBeLessThan(report.durationSeconds);
    expect(report.baseline?.throughputSeries.reduce((sum, n) => sum + n, 0)).toBe(report.baseline?.rows);

    // The HTML report: the verdict, the figures beside their targets, the charts drawn by uPlot.
    const html = renderHtmlReport(report, summarize(report), new Date('2026-11-29T12:00:00Z'));
    expect(html).toContain('<p class="banner pass">PASS');
    expect(html).toContain('<td>0 / 0 / 0</td><td>0 / 0 / 0</td>');
    expect(html).toContain('reported 2026-11-29T12:00:00.000Z');
    expect(html).toContain('poison messages must be received maxReceiveCount times');
    expect(html).toContain('naive baseline');
    expect(html).toMatch(/var uPlot=function|uPlot=/);
    // The report's data cannot close its script element: only uPlot's and ours are there.
    expect(html.split('</script>')).toHaveLength(3);
    const failed = renderHtmlReport(
      { ...report, duplicateRows: 2 },
      summarize({ ...report, duplicateRows: 2 }),
    );
    expect(failed).toContain('<p class="banner fail">FAIL: 2 duplicate rows.</p>');
  }, 240_000);

  it.runIf(clamAv)(
    'with EICAR uploads: every infected object REJECTED and never copied, every clean one copied after its scan',
    async () => {
      const report = await runLoadTest(
        smallRun({
          objects: 60,
          duplicateRate: 0.3,
          lateRate: 0.1,
          poisonRate: 0,
          malwareRate: 0.2,
          seed: 5,
        }),
      );
      expect(report).toMatchObject({
        uploads: 66,
        rowsVerified: 66,
        missing: 0,
        duplicateRows: 0,
        wrongState: 0,
        goodMessagesInDlq: 0,
        metricsMatch: true,
        malware: { infected: 12, rejected: 12, copied: 0, clean: 48, cleanCopied: 48, unscanned: 0 },
      });
      expect(report.problems).toEqual([]);
      // ThreatsFound counted once per infected object; each rejection announced as a correction.
      expect(report.metrics?.expected).toMatchObject({ ThreatsFound: 12 });
      expect(report.events).toMatchObject({ expected: 66 + 12, missing: 0, orphan: 0 });
      expect(verdictOf(report)).toEqual({ passed: true, reasons: [] });
    },
    240_000,
  );
});
