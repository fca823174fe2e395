import { Duration } from 'aws-cdk-lib';
import type { IngestStackProps } from './ingest-stack.js';

/** Context keys `cdk deploy -c KEY=VALUE` accepts. */
export const CONTEXT_KEYS = [
  'stackName',
  'existingBuckets',
  'eventBridgeBuckets',
  'ingestBucketEvents',
  'copyDestination',
  'alarmEmail',
  'notifyEmail',
  'notifyOn',
  'eventBus',
  'workerTimeoutSeconds',
  'batchSize',
  'batchingWindowSeconds',
  'maxConcurrency',
  'maxReceiveCount',
  'retentionDays',
  'gsiShardCount',
  'maxObjectBytes',
  'allowedContentTypes',
  'blockedExtensions',
  'contentChecks',
  'rejectMismatchedTypes',
  'malwareProtection',
  'scanFailureAction',
  'scanTagCheck',
  'oldestMessageAgeSeconds',
  'recordsFailedThreshold',
  'ingestLatencyP99Ms',
  'backfillFunction',
  'inventoryBucket',
] as const;

type ContextKey = (typeof CONTEXT_KEYS)[number];

/**
 * Context keys that look like this stack's settings (plain names; CDK's own keys carry `@`, `:`
 * or `-`) but are not among {@link CONTEXT_KEYS}: a typo such as `copyDestinaton` would otherwise
 * be ignored and deploy the default.
 *
 * @returns one message per unknown key, with the nearest known key when one is close
 */
export function unknownContextKeys(context: Readonly<Record<string, unknown>>): string[] {
  const known = new Set<string>(CONTEXT_KEYS);
  return Object.keys(context)
    .filter((key) => /^[A-Za-z][A-Za-z0-9]*$/.test(key) && !known.has(key))
    .map((key) => {
      const nearest = [...known]
        .map((candidate) => ({
          candidate,
          distance: editDistance(key.toLowerCase(), candidate.toLowerCase()),
        }))
        .sort((a, b) => a.distance - b.distance)[0];
      const hint = nearest && nearest.distance <= 3 ? ` (did you mean ${nearest.candidate}?)` : '';
      return `unknown context key ${key}${hint}`;
    });
}

/** Levenshtein distance: how many single-character edits turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Reads the stack's props from CDK context. Values given with `-c` are strings; cdk.json may
 * hold numbers, booleans or lists.
 *
 * @throws {Error} naming the context key whose value is unusable
 */
export function stackPropsFromContext(get: (key: ContextKey) => unknown): {
  stackName: string;
  props: IngestStackProps;
} {
  const text = (key: ContextKey): string | undefined => {
    const value = get(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const number = (key: ContextKey): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0)
      throw new Error(`context ${key} must be a non-negative number, got "${value}"`);
    return parsed;
  };
  const list = (key: ContextKey): string[] | undefined => {
    const value = get(key);
    const items = Array.isArray(value) ? value.map(String) : text(key)?.split(',');
    const cleaned = items?.map((item) => item.trim()).filter((item) => item !== '');
    return cleaned && cleaned.length > 0 ? cleaned : undefined;
  };
  const flag = (key: ContextKey): boolean | undefined => {
    const value = text(key)?.toLowerCase();
    if (value === undefined) return undefined;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    throw new Error(`context ${key} must be true or false, got "${value}"`);
  };
  const seconds = (key: ContextKey) => {
    const value = number(key);
    return value === undefined ? undefined : Duration.seconds(value);
  };
  const thresholds = compact({
    oldestMessageAgeSeconds: number('oldestMessageAgeSeconds'),
    recordsFailed: number('recordsFailedThreshold'),
    ingestLatencyP99Ms: number('ingestLatencyP99Ms'),
  });
  const ingestBucketEvents = text('ingestBucketEvents');
  if (ingestBucketEvents !== undefined && !['notifications', 'eventbridge'].includes(ingestBucketEvents)) {
    throw new Error(
      `context ingestBucketEvents must be notifications or eventbridge, got "${ingestBucketEvents}"`,
    );
  }
  const scanFailureAction = text('scanFailureAction');
  if (scanFailureAction !== undefined && !['hold', 'accept'].includes(scanFailureAction)) {
    throw new Error(`context scanFailureAction must be hold or accept, got "${scanFailureAction}"`);
  }
  return {
    stackName: text('stackName') ?? 's3-ingest',
    // Keys left out keep the stack's own defaults.
    props: compact({
      existingBucketNames: list('existingBuckets'),
      eventBridgeBucketNames: list('eventBridgeBuckets'),
      ownBucketSource: ingestBucketEvents as 'notifications' | 'eventbridge' | undefined,
      copyDestination:
        ['true', '1', 'yes'].includes(text('copyDestination')?.toLowerCase() ?? '') || undefined,
      alarmEmail: text('alarmEmail'),
      notifyEmail: text('notifyEmail'),
      notifyOn: list('notifyOn'),
      eventBus: flag('eventBus'),
      backfillFunction:
        ['true', '1', 'yes'].includes(text('backfillFunction')?.toLowerCase() ?? '') || undefined,
      inventoryBucketName: text('inventoryBucket'),
      workerTimeout: seconds('workerTimeoutSeconds'),
      batchSize: number('batchSize'),
      batchingWindow: seconds('batchingWindowSeconds'),
      maxConcurrency: number('maxConcurrency'),
      maxReceiveCount: number('maxReceiveCount'),
      retentionDays: number('retentionDays'),
      gsiShardCount: number('gsiShardCount'),
      maxObjectBytes: number('maxObjectBytes'),
      allowedContentTypes: list('allowedContentTypes'),
      blockedExtensions: list('blockedExtensions'),
      contentChecks: flag('contentChecks'),
      rejectMismatchedTypes: flag('rejectMismatchedTypes'),
      malwareProtection: flag('malwareProtection'),
      scanFailureAction: scanFailureAction as 'hold' | 'accept' | undefined,
      scanTagCheck: flag('scanTagCheck'),
      alarmThresholds: Object.keys(thresholds).length > 0 ? thresholds : undefined,
    }),
  };
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
