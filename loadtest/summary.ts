import { percent } from './limit.js';
import type { LoadTestReport } from './run.js';

const orDash = (value: number | null | undefined, suffix = '') =>
  value === null || value === undefined ? 'not measured here' : `${value}${suffix}`;

/** The report's headline numbers as name/value pairs, for the terminal table and the HTML page. */
export function summarize(report: LoadTestReport): [string, string][] {
  const calls = report.callsPerObject
    ? Object.entries(report.callsPerObject)
        .map(([name, value]) => `${name} ${value}`)
        .join(', ')
    : 'not measured here (embedded target only)';
  return [
    ['target', report.target],
    ['objects (uploads)', `${report.objects} (${report.uploads})`],
    ['notifications sent', String(report.notifications)],
    [
      'injected',
      `${report.duplicatesInjected} duplicates, ${report.lateInjected} late, ${report.poisonInjected} poison`,
    ],
    ['rows verified', String(report.rowsVerified)],
    [
      'missing / duplicate rows / wrong states',
      `${report.missing} / ${report.duplicateRows} / ${report.wrongState}`,
    ],
    ['DLQ messages (poison of this run)', `${report.dlqMessages} (${report.dlqPoison})`],
    [
      'metrics match',
      report.metricsMatch === null ? 'not readable on this target' : String(report.metricsMatch),
    ],
    [
      'throughput',
      `${report.throughputPerSec} objects/s (${report.ingestSeconds} s to the last object's row; drained after ${report.durationSeconds} s)`,
    ],
    [
      'latency p50 / p95 / p99 / max',
      `${report.latencyMs.p50} / ${report.latencyMs.p95} / ${report.latencyMs.p99} / ${report.latencyMs.max} ms`,
    ],
    ['AWS calls per upload', calls],
    ['DynamoDB writes per upload (whole run)', orDash(report.dynamodbWritesPerObject)],
    [
      'DynamoDB writes per new object / per duplicate',
      `${orDash(report.dynamodbWritesPerNewObject)} / ${orDash(report.dynamodbWritesPerDuplicate)}`,
    ],
    [
      'cost per million uploads',
      report.cost
        ? `$${report.cost.total} (DynamoDB ${report.cost.dynamodb}, SQS ${report.cost.sqs}, S3 ${report.cost.s3}, Lambda ${report.cost.lambda})`
        : 'not measured here',
    ],
    [
      'raw conditional PutItem rate',
      report.calibratedPutsPerSec === null
        ? 'not measured here'
        : `${report.calibratedPutsPerSec}/s at ${report.calibrationConcurrency} in flight`,
    ],
    ['bound ratio (throughput / (raw rate / writes per upload))', orDash(report.boundRatio)],
    [
      'event loop busy (runs the whole embedded stack)',
      report.eventLoopBusy
        ? `${percent(report.eventLoopBusy.ingest)} while ingesting, ${
            report.eventLoopBusy.calibration === null
              ? 'calibration not run'
              : `${percent(report.eventLoopBusy.calibration)} during the raw DynamoDB rate`
          }`
        : 'not measured here (the stack runs outside this process)',
    ],
    ['what limited throughput', report.limit],
    ...(report.baseline
      ? ([
          [
            'baseline (naive put per event)',
            `${report.baseline.throughputPerSec} objects/s, ${report.baseline.rows} rows, ${report.baseline.duplicateRows} duplicate rows`,
          ],
        ] as [string, string][])
      : []),
  ];
}
