import { percent } from './limit.js';
import type { LoadTestReport } from './report-types.js';

const orDash = (value: number | null | undefined, suffix = '') =>
  value === null || value === undefined ? 'not measured here' : `${value}${suffix}`;

/** Whether the run found the pipeline correct: nothing lost, duplicated or misplaced, metrics matching. */
export function verdictOf(report: LoadTestReport): { readonly passed: boolean; readonly reasons: string[] } {
  const reasons = [
    ...(report.missing > 0 ? [`${report.missing} versions have no row`] : []),
    ...(report.duplicateRows > 0 ? [`${report.duplicateRows} duplicate rows`] : []),
    ...(report.wrongState > 0 ? [`${report.wrongState} state rows do not hold the newest version`] : []),
    ...(report.dlqPoison !== report.poisonInjected
      ? [`the DLQ holds ${report.dlqPoison} of the ${report.poisonInjected} poison messages`]
      : []),
    ...(report.metricsMatch === false ? ["the worker's metrics do not match the verified rows"] : []),
    ...(report.goodMessagesInDlq > 0 ? [`${report.goodMessagesInDlq} good messages in the DLQ`] : []),
    ...malwareFailures(report),
    ...(report.events && report.events.missing > 0
      ? [`${report.events.missing} rows have no upload event`]
      : []),
    ...(report.events && report.events.orphan > 0
      ? [`${report.events.orphan} upload events have no such row`]
      : []),
  ];
  return { passed: reasons.length === 0, reasons };
}

/** What the malware-scan gate got wrong, when the run uploaded infected objects. */
function malwareFailures(report: LoadTestReport): string[] {
  const malware = report.malware;
  if (!malware) return [];
  return [
    ...(malware.rejected < malware.infected
      ? [`${malware.infected - malware.rejected} infected objects not rejected`]
      : []),
    ...(malware.copied > 0 ? [`${malware.copied} infected objects in the copy destination`] : []),
    ...(malware.cleanCopied < malware.clean
      ? [`${malware.clean - malware.cleanCopied} clean objects not copied at their newest content`]
      : []),
    ...(malware.unscanned > 0 ? [`${malware.unscanned} objects without a scan`] : []),
  ];
}

/** The goals a figure is held to, by the summary's name for it (docs/performance.md). */
export const TARGETS: Readonly<Record<string, string>> = {
  'missing / duplicate rows / wrong states': '0 / 0 / 0',
  'DLQ messages (poison of this run)': "only this run's poison",
  'good messages in the DLQ': '0',
  'metrics match': 'true',
  'upload events: missing / orphan / duplicated': '0 / 0 / reported',
  'malware: infected rejected / infected copied / clean copied / unscanned': 'all / 0 / all / 0',
  'upload event latency p50 / p99': 'p99 <= 1,000 ms at half the maximum rate',
  'latency p50 / p95 / p99 / max': 'p99 <= 2,000 ms at half the maximum rate',
  'DynamoDB writes per new object / per duplicate': '<= 4 / <= 2',
  'bound ratio (throughput / (raw rate / writes per upload))': '>= 0.8',
};

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
    ['good messages in the DLQ', String(report.goodMessagesInDlq)],
    [
      'worker runtime',
      report.runtime
        ? `${report.runtime.mode} on Node.js ${report.runtime.node}${
            report.runtime.mode === 'bundle'
              ? `, ${report.runtime.environments} execution environments, cold start p50 ${orDash(report.runtime.coldStartMs?.p50)} / max ${orDash(report.runtime.coldStartMs?.max)} ms`
              : ', in this process'
          }`
        : 'not known here (the stack runs elsewhere)',
    ],
    ...(report.chaos
      ? ([
          [
            'chaos injected',
            `${report.chaos.environmentsKilled} environments killed, ${report.chaos.eventSourceKills} event source kills, ${report.chaos.invocationsTimedOut} invocations timed out; faults: ${Object.entries(
              report.chaos.faultsInjected,
            )
              .map(([kind, count]) => `${kind} ${count}`)
              .join(', ')}`,
          ],
        ] as [string, string][])
      : []),
    [
      'metrics match',
      report.metricsMatch === null ? 'not readable on this target' : String(report.metricsMatch),
    ],
    [
      'upload events: missing / orphan / duplicated',
      report.events
        ? `${report.events.missing} / ${report.events.orphan} / ${report.events.duplicated} (${report.events.received} received for ${report.events.expected} rows)`
        : 'no upload events topic on this target',
    ],
    ...(report.malware
      ? ([
          [
            'malware: infected rejected / infected copied / clean copied / unscanned',
            `${report.malware.rejected} of ${report.malware.infected} / ${report.malware.copied} / ${report.malware.cleanCopied} of ${report.malware.clean} / ${report.malware.unscanned}`,
          ],
          [
            'malware scan latency p50 / p99',
            `${report.malware.scanLatencyMs.p50} / ${report.malware.scanLatencyMs.p99} ms (upload to the scan's result)`,
          ],
        ] as [string, string][])
      : []),
    [
      'upload event latency p50 / p99',
      report.events
        ? `${report.events.latencyMs.p50} / ${report.events.latencyMs.p99} ms (row written to subscriber)`
        : 'not measured here',
    ],
    [
      'throughput',
      `${report.throughputPerSec} objects/s (objects / seconds from the first upload to the moment the last object's newest content was first recorded: ${report.ingestSeconds} s; drained after ${report.durationSeconds} s)`,
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
        ? `$${report.cost.total} (DynamoDB ${report.cost.dynamodb}, SQS ${report.cost.sqs}, S3 ${report.cost.s3}, Lambda ${report.cost.lambda}${report.cost.eventbridge ? `, EventBridge ${report.cost.eventbridge}` : ''}${report.cost.uploadEvents ? `, upload events ${report.cost.uploadEvents}` : ''})`
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
      'event loop busy (this process: the embedded services, and the worker with --runtime source)',
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
            `${report.baseline.throughputPerSec} objects/s measured the same way (${report.baseline.ingestSeconds} s), ${report.baseline.rows} rows, ${report.baseline.duplicateRows} duplicate rows`,
          ],
        ] as [string, string][])
      : []),
    ...(report.runtimeComparison
      ? ([
          [
            `${report.runtimeComparison.mode} runtime (same workload)`,
            `${report.runtimeComparison.throughputPerSec} objects/s measured the same way (${report.runtimeComparison.ingestSeconds} s, ${report.runtimeComparison.objectsRecorded} objects recorded); this run is ${report.runtimeComparison.ratio}x`,
          ],
        ] as [string, string][])
      : []),
  ];
}
