import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Powertools idempotency prefixes keys with the function name and warns without one.
    env: {
      AWS_LAMBDA_FUNCTION_NAME: 's3-ingest-test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: 'us-east-1',
    },
  },
});
