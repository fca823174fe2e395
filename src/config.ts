import type { ScanFailureAction } from './core/scan-result.js';
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
  /**
   * The buckets whose events the worker records; an event for any other bucket (the copy
   * destination, someone else's bucket) is ignored and counted as `ForeignEventsIgnored`.
   * Env: `WATCHED_BUCKETS` (comma-separated). @default every bucket (the deployed stack always sets it)
   */
  readonly watchedBuckets?: readonly string[];
  /**
   * Read each new object's first bytes and judge its type by them (`detectedType`).
   * Env: `CONTENT_CHECKS` (`true` | `false`). @default true
   */
  readonly contentChecks: boolean;
  /**
   * The malware-scan gate: accepted objects are recorded with a pending scan and copied only once
   * GuardDuty's scan result says they are clean. Env: `MALWARE_SCAN_GATE` (`true` | `false`).
   * @default false
   */
  readonly malwareScanGate: boolean;
  /**
   * What an object whose scan did not complete (`SKIPPED`, `FAILED`) gets: `hold` (never copied)
   * or `accept` (copied as if clean). Env: `SCAN_FAILURE_ACTION`. @default hold
   */
  readonly scanFailureAction: ScanFailureAction;
  /**
   * Under the gate, where the worker sends itself a delayed check of each pending scan (the ingest
   * queue); a row still `PENDING` when it comes counts `ScansOverdue`. Env: `SCAN_CHECK_QUEUE_URL`.
   * @default no checks
   */
  readonly scanCheckQueueUrl?: string;
  /** How long a scan may take before it is overdue (1-900 s, SQS's longest delay). Env: `SCAN_DEADLINE_SECONDS`. @default 900 */
  readonly scanDeadlineSeconds: number;
  /**
   * Under the gate, believe a result that lets an object through only when the scanned version
   * carries GuardDuty's tag with the same result (the plan must have tagging on). Env:
   * `SCAN_TAG_CHECK` (`true` | `false`). @default false
   */
  readonly scanTagCheck: boolean;
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
  watchedBuckets: 'WATCHED_BUCKETS',
  contentChecks: 'CONTENT_CHECKS',
  rejectMismatchedTypes: 'REJECT_MISMATCHED_TYPES',
  malwareScanGate: 'MALWARE_SCAN_GATE',
  scanFailureAction: 'SCAN_FAILURE_ACTION',
  scanCheckQueueUrl: 'SCAN_CHECK_QUEUE_URL',
  scanDeadlineSeconds: 'SCAN_DEADLINE_SECONDS',
  scanTagCheck: 'SCAN_TAG_CHECK',
} as const;

/** Shards per bucket-day of the `byBucketDay` index when `GSI_SHARD_COUNT` is not set. */
export const DEFAULT_GSI_SHARD_COUNT = 8;

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

function optionalBoolean(env: Env, name: string): boolean | undefined {
  const raw = optionalString(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
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

/** RFC 9110 token characters: what a media type's type and subtype are made of. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_RANGE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/**
 * Checks one `ALLOWED_CONTENT_TYPES` entry: `type/subtype` or `type/*`, without parameters.
 * Validation compares media types only, so an entry that could never match is a mistake to report.
 *
 * @returns why the entry is unusable, or `undefined` when it is fine
 */
export function contentTypeEntryProblem(entry: string): string | undefined {
  if (entry.includes(';')) {
    return `"${entry}" has parameters; objects are matched on the media type alone, so write "${entry.split(';')[0]?.trim()}"`;
  }
  if (entry.startsWith('*/')) {
    return `"${entry}" would match nothing in a list of allowed types; leave the variable unset to accept any type`;
  }
  if (!MEDIA_RANGE.test(entry)) return `"${entry}" is not a media type like "image/png" or "image/*"`;
  const [, subtype] = entry.split('/');
  if (subtype !== '*' && subtype?.includes('*')) {
    return `"${entry}" uses "*" inside a subtype; only a whole "type/*" is a wildcard`;
  }
  return undefined;
}

/**
 * Checks one `BLOCKED_EXTENSIONS` entry (after a leading dot is dropped): letters, digits and inner
 * dots (`tar.gz`). Patterns such as `*.exe` are not globs here and would block nothing.
 *
 * @returns why the entry is unusable, or `undefined` when it is fine
 */
export function extensionEntryProblem(entry: string): string | undefined {
  if (/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(entry)) return undefined;
  const suggestion = entry.replace(/^[*.]+/, '');
  return `"${entry}" is not an extension like "exe" or "tar.gz"${suggestion && suggestion !== entry ? `; write "${suggestion}"` : ''}`;
}

/**
 * Checks a bucket name against S3's naming rules (general purpose buckets).
 *
 * @returns why the name is unusable, or `undefined` when it is fine
 * @example bucketNameProblem('s3://photos') // 'write the bucket name alone, not a URI: "photos"'
 */
export function bucketNameProblem(name: string): string | undefined {
  if (/^[a-z0-9]+:\/\//i.test(name)) {
    return `"${name}" is a URI; write the bucket name alone: "${name.replace(/^[a-z0-9]+:\/\//i, '').split('/')[0]}"`;
  }
  if (name.length < 3 || name.length > 63) return `"${name}" must be 3 to 63 characters long`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return `"${name}" may hold only lower-case letters, digits, dots and hyphens, and must begin and end with a letter or digit`;
  }
  if (name.includes('..')) return `"${name}" must not hold two dots in a row`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `"${name}" must not look like an IP address`;
  return undefined;
}

function checked<T extends string | undefined>(
  name: string,
  value: T,
  problem: (value: string) => string | undefined,
): T {
  const reason = value === undefined ? undefined : problem(value);
  if (reason !== undefined) throw new ConfigError(`${name} environment variable: ${reason}`);
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
  const copyDestinationBucket = checked(
    CONFIG_ENV.copyDestinationBucket,
    optionalString(env, CONFIG_ENV.copyDestinationBucket),
    bucketNameProblem,
  );
  const retentionDays = optionalInteger(env, CONFIG_ENV.retentionDays, 1, 36_500);
  const maxObjectBytes = optionalInteger(env, CONFIG_ENV.maxObjectBytes, 1, Number.MAX_SAFE_INTEGER);
  const allowedContentTypes = list(env, CONFIG_ENV.allowedContentTypes)?.map((entry) =>
    checked(CONFIG_ENV.allowedContentTypes, entry, contentTypeEntryProblem).toLowerCase(),
  );
  const blockedExtensions = list(env, CONFIG_ENV.blockedExtensions)?.map((entry) =>
    checked(
      CONFIG_ENV.blockedExtensions,
      entry.replace(/^\.(?=[^.*])/, ''),
      extensionEntryProblem,
    ).toLowerCase(),
  );
  const rejectMismatchedTypes = optionalBoolean(env, CONFIG_ENV.rejectMismatchedTypes);
  const watchedBuckets = list(env, CONFIG_ENV.watchedBuckets)?.map((name) =>
    checked(CONFIG_ENV.watchedBuckets, name, bucketNameProblem),
  );
  return Object.freeze({
    uploadLogTable: requiredString(env, CONFIG_ENV.uploadLogTable),
    ...(watchedBuckets !== undefined && { watchedBuckets: Object.freeze(watchedBuckets) }),
    idempotencyTable: requiredString(env, CONFIG_ENV.idempotencyTable),
    ...(copyDestinationBucket !== undefined && { copyDestinationBucket }),
    ...(retentionDays !== undefined && { retentionDays }),
    gsiShardCount: optionalInteger(env, CONFIG_ENV.gsiShardCount, 1, 1000) ?? DEFAULT_GSI_SHARD_COUNT,
    idempotencyTtlSeconds: optionalInteger(env, CONFIG_ENV.idempotencyTtlSeconds, 60, 31_536_000) ?? 86_400,
    contentChecks: optionalBoolean(env, CONFIG_ENV.contentChecks) ?? true,
    malwareScanGate: optionalBoolean(env, CONFIG_ENV.malwareScanGate) ?? false,
    scanFailureAction: scanFailureActionOf(env),
    scanTagCheck: optionalBoolean(env, CONFIG_ENV.scanTagCheck) ?? false,
    ...(optionalString(env, CONFIG_ENV.scanCheckQueueUrl) !== undefined && {
      scanCheckQueueUrl: optionalString(env, CONFIG_ENV.scanCheckQueueUrl),
    }),
    scanDeadlineSeconds: optionalInteger(env, CONFIG_ENV.scanDeadlineSeconds, 1, 900) ?? 900,
    validation: Object.freeze({
      ...(rejectMismatchedTypes !== undefined && { rejectMismatchedTypes }),
      ...(maxObjectBytes !== undefined && { maxObjectBytes }),
      ...(allowedContentTypes !== undefined && { allowedContentTypes }),
      ...(blockedExtensions !== undefined && { blockedExtensions }),
    }),
  });
}

function scanFailureActionOf(env: Env): ScanFailureAction {
  const value = optionalString(env, CONFIG_ENV.scanFailureAction) ?? 'hold';
  if (value !== 'hold' && value !== 'accept')
    throw new ConfigError(
      `${CONFIG_ENV.scanFailureAction} must be hold or accept, not ${JSON.stringify(value)}`,
    );
  return value;
}

/** The backfill function's validated configuration (S3 Batch Operations). */
export interface BackfillFunctionConfig {
  /** Where notifications go. Env: `INGEST_QUEUE_URL` (required). */
  readonly ingestQueueUrl: string;
  /** Env: `AWS_REGION` (set by Lambda). */
  readonly region: string;
}

/**
 * Validates the backfill function's environment.
 *
 * @throws {ConfigError} naming the first missing variable
 */
export function loadBackfillFunctionConfig(env: Env = process.env): BackfillFunctionConfig {
  return Object.freeze({
    ingestQueueUrl: requiredString(env, 'INGEST_QUEUE_URL'),
    region: requiredString(env, 'AWS_REGION'),
  });
}
