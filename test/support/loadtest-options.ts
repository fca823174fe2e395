import type { LoadTestOptions } from '../../loadtest/report-types.js';

/**
 * A small load test run on the embedded stack, as the load test files make it: the bundle in four
 * execution environments, batches of 10, a 5 s visibility timeout, no calibration and no chaos
 * unless `overrides` say otherwise.
 */
export function smallRun(
  overrides: Partial<LoadTestOptions> &
    Pick<LoadTestOptions, 'objects' | 'duplicateRate' | 'lateRate' | 'poisonRate' | 'seed'>,
): LoadTestOptions {
  return {
    sizeBytes: 256,
    concurrency: 8,
    target: 'embedded',
    dynamodb: 'dynalite',
    baseline: false,
    batchSize: 10,
    workerConcurrency: 4,
    visibilityTimeoutSeconds: 5,
    drainTimeoutMs: 120_000,
    calibrationPuts: 0,
    runtime: 'bundle',
    chaos: { dynamodbFaultRate: 0, s3FaultRate: 0 },
    ...overrides,
  };
}
