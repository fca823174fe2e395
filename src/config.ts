import type { ValidationRules } from './core/validation.js';
import { ConfigError } from './errors.js';

/** The worker's validated configuration, read once at cold start. */
export interface WorkerConfig {
  /** Upload log table. Env: `UPLOAD_LOG_TABLE` (required). */
  readonly uploadLogTable: string;
  /** Powertools idempotency table. Env: `IDEMPOTENCY_TABLE` (required). */
  readonly idempotencyTable: string;
  /** Accepted objects are copied here when set. Env: `COPY_DESTINATION_BUCKET`. */
  readonly copyDestinationBucket?: string;
  /** Upload rows expire this many days after processing. Env: `RETENTION_DAYS`. @default keep forever */
  readonly retentionDays?: number;
  /** Shards per bucket-day of the `byBucketDay` index. Env: `GSI_SHARD_COUNT`. @default 8 */
  readonly gsiShardCount: number;
  /** How long a completed idempotency record answers duplicates. Env: `IDEMPOTENCY_TTL_SECONDS`. @default 86400 */
  readonly idempotencyTtlSeconds: number;
  /** Env: `MAX_OBJECT_BYTES`, `ALLOWED_CONTENT_TYPES` (comma-separated, `image/*` allowed), `BLOCKED_EXTENSIONS` (comma-separated). */
  readonly validation: ValidationRules;
}

/** The environment variable names the worker reads; the CDK stack sets the same names. */
export const CONFIG_ENV = {
  uploadLogTable: 'UPLOAD_LOG_TABLE',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  copyDestinationBucket: 'COPY_DESTINATION_BUCKET',
  retentionDays: 'RETENTION_DAYS',
  gsiShardCount: 'GSI_SHARD_COUNT',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  maxObjectBytes: 'MAX_OBJECT_BYTES',
  allowedContentTypes: 'ALLOWED_CONTENT_TYPES',
  blockedExtensions: 'BLOCKED_EXTENSIONS',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function requiredString(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} environment variable is not set`);
  return value;
}

function optionalString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = optionalString(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} environment variable must be a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
}

function list(env: Env, name: string): string[] | undefined {
  const items = optionalString(env, name)
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items && items.length > 0 ? items : undefined;
}

/**
 * Validates the environment into a frozen {@link WorkerConfig}.
 *
 * @param env - the environment to read @default process.env
 * @throws {ConfigError} naming the first missing or invalid variable
 */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const copyDestinationBucket = optionalString(env, CONFIG_ENV.copyDestinationBucket);
  const retentionDays = optionalInteger(env, CONFIG_ENV.retentionDays, 1, 36_500);
  const maxObjectBytes = optionalInteger(env, CONFIG_ENV.maxObjectBytes, 1, Number.MAX_SAFE_INTEGER);
  const allowedContentTypes = list(env, CONFIG_ENV.allowedContentTypes);
  const blockedExtensions = list(env, CONFIG_ENV.blockedExtensions)?.map((ext) =>
    ext.replace(/^\./, '').toLowerCase(),
  );
  return Object.freeze({
    uploadLogTable: requiredString(env, CONFIG_ENV.uploadLogTable),
    idempotencyTable: requiredString(env, CONFIG_ENV.idempotencyTable),
    ...(copyDestinationBucket !== undefined && { copyDestinationBucket }),
    ...(retentionDays !== undefined && { retentionDays }),
    gsiShardCount: optionalInteger(env, CONFIG_ENV.gsiShardCount, 1, 1000) ?? 8,
    idempotencyTtlSeconds: optionalInteger(env, CONFIG_ENV.idempotencyTtlSeconds, 60, 31_536_000) ?? 86_400,
    validation: Object.freeze({
      ...(maxObjectBytes !== undefined && { maxObjectBytes }),
      ...(allowedContentTypes !== undefined && { allowedContentTypes }),
      ...(blockedExtensions !== undefined && { blockedExtensions }),
    }),
  });
}
