import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const required = { UPLOAD_LOG_TABLE: 'log', IDEMPOTENCY_TABLE: 'idem' };

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(required);
    expect(config).toEqual({
      uploadLogTable: 'log',
      idempotencyTable: 'idem',
      gsiShardCount: 8,
      idempotencyTtlSeconds: 86_400,
      contentChecks: true,
      malwareScanGate: false,
      scanFailureAction: 'hold',
      scanTagCheck: false,
      scanDeadlineSeconds: 900,
      validation: {},
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the malware-scan gate and its failure action, and refuses an action it does not know', () => {
    const config = loadConfig({ ...required, MALWARE_SCAN_GATE: 'true', SCAN_FAILURE_ACTION: 'accept' });
    expect(config).toMatchObject({ malwareScanGate: true, scanFailureAction: 'accept' });
    expect(
      loadConfig({ ...required, SCAN_CHECK_QUEUE_URL: 'https://q', SCAN_DEADLINE_SECONDS: '60' }),
    ).toMatchObject({
      scanCheckQueueUrl: 'https://q',
      scanDeadlineSeconds: 60,
    });
    expect(() => loadConfig({ ...required, SCAN_DEADLINE_SECONDS: '901' })).toThrow('SCAN_DEADLINE_SECONDS');
    expect(() => loadConfig({ ...required, SCAN_FAILURE_ACTION: 'ignore' })).toThrow(
      'SCAN_FAILURE_ACTION must be hold or accept, not "ignore"',
    );
  });

  it('reads content checks and the mismatch rule, and refuses what is not a boolean', () => {
    const config = loadConfig({ ...required, CONTENT_CHECKS: 'FALSE', REJECT_MISMATCHED_TYPES: 'true' });
    expect(config.contentChecks).toBe(false);
    expect(config.validation.rejectMismatchedTypes).toBe(true);
    expect(() => loadConfig({ ...required, CONTENT_CHECKS: 'yes' })).toThrow(
      'CONTENT_CHECKS must be true or false, got "yes"',
    );
  });

  it('reads every optional setting', () => {
    const config = loadConfig({
      ...required,
      COPY_DESTINATION_BUCKET: 'private',
      RETENTION_DAYS: '90',
      GSI_SHARD_COUNT: '16',
      IDEMPOTENCY_TTL_SECONDS: '3600',
      MAX_OBJECT_BYTES: '1048576',
      ALLOWED_CONTENT_TYPES: 'image/*, Application/PDF, application/vnd.ms-excel',
      BLOCKED_EXTENSIONS: '.EXE,bat',
    });
    expect(config).toMatchObject({
      copyDestinationBucket: 'private',
      retentionDays: 90,
      gsiShardCount: 16,
      idempotencyTtlSeconds: 3600,
      validation: {
        maxObjectBytes: 1_048_576,
        allowedContentTypes: ['image/*', 'application/pdf', 'application/vnd.ms-excel'],
        blockedExtensions: ['exe', 'bat'],
      },
    });
  });

  it.each([
    [{}, 'UPLOAD_LOG_TABLE environment variable is not set'],
    [{ UPLOAD_LOG_TABLE: 'log' }, 'IDEMPOTENCY_TABLE environment variable is not set'],
    [{ ...required, RETENTION_DAYS: 'ten' }, 'RETENTION_DAYS environment variable must be a whole number'],
    [
      { ...required, GSI_SHARD_COUNT: '0' },
      'GSI_SHARD_COUNT environment variable must be a whole number from 1 to 1000',
    ],
    [{ ...required, MAX_OBJECT_BYTES: '-5' }, 'MAX_OBJECT_BYTES'],
    [{ ...required, ALLOWED_CONTENT_TYPES: '*/*' }, 'ALLOWED_CONTENT_TYPES environment variable: "*/*"'],
    [
      { ...required, ALLOWED_CONTENT_TYPES: 'image/png, text/plain; charset=utf-8' },
      'ALLOWED_CONTENT_TYPES environment variable: "text/plain; charset=utf-8" has parameters',
    ],
    [
      { ...required, ALLOWED_CONTENT_TYPES: 'images' },
      'ALLOWED_CONTENT_TYPES environment variable: "images"',
    ],
    [{ ...required, ALLOWED_CONTENT_TYPES: 'image/p*' }, '"image/p*" uses "*" inside a subtype'],
    [{ ...required, BLOCKED_EXTENSIONS: 'bat,*.exe' }, 'BLOCKED_EXTENSIONS environment variable: "*.exe"'],
    [{ ...required, BLOCKED_EXTENSIONS: 'exe bat' }, 'BLOCKED_EXTENSIONS environment variable: "exe bat"'],
    [
      { ...required, COPY_DESTINATION_BUCKET: 's3://private' },
      'COPY_DESTINATION_BUCKET environment variable: "s3://private" is a URI; write the bucket name alone: "private"',
    ],
    [{ ...required, COPY_DESTINATION_BUCKET: 'Private_Copies' }, 'COPY_DESTINATION_BUCKET'],
    [{ ...required, COPY_DESTINATION_BUCKET: '10.0.0.1' }, 'must not look like an IP address'],
  ])('fails naming the bad variable (%o)', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
