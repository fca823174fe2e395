import { defineConfig } from 'vitest/config';

/** Test files that measure the pipeline under load: each needs the machine to itself. */
const ALONE = ['test/loadtest/**/*.test.ts'];

const shared = {
  environment: 'node' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // Powertools idempotency prefixes keys with the function name and warns without one.
  env: {
    AWS_LAMBDA_FUNCTION_NAME: 's3-ingest-test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        // Two files at a time (each starts its own servers on free ports), then the load tests.
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...shared, name: 'load', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
