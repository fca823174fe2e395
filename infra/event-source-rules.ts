/** The settings AWS checks when it creates the worker's function, queue and event source mapping. */
export interface EventSourceSettings {
  readonly functionTimeoutSeconds: number;
  readonly memorySize: number;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  /** The ingest queue's visibility timeout, as the stack derives it. */
  readonly visibilityTimeoutSeconds: number;
}

/** AWS's limits, from the Lambda, SQS and event source mapping API references (standard queues). */
const RULES: readonly {
  readonly setting: keyof EventSourceSettings;
  readonly min: number;
  readonly max: number;
  readonly what: string;
}[] = [
  { setting: 'functionTimeoutSeconds', min: 1, max: 900, what: 'Lambda function timeout' },
  { setting: 'memorySize', min: 128, max: 10_240, what: 'Lambda memory size (MB)' },
  { setting: 'batchSize', min: 1, max: 10_000, what: 'SQS event source batch size' },
  { setting: 'batchingWindowSeconds', min: 0, max: 300, what: 'maximum batching window' },
  { setting: 'maxConcurrency', min: 2, max: 1_000, what: 'SQS event source maximum concurrency' },
  { setting: 'maxReceiveCount', min: 1, max: 1_000, what: 'SQS redrive maxReceiveCount' },
  { setting: 'visibilityTimeoutSeconds', min: 0, max: 43_200, what: 'SQS visibility timeout' },
];

/**
 * What AWS would refuse at deploy time, found at synth instead: out-of-range values, fractions,
 * and a batch size over 10 without a batching window (Lambda requires one of at least 1 s).
 *
 * @returns one sentence per problem, naming the setting; empty when AWS would accept them
 */
export function eventSourceProblems(settings: EventSourceSettings): string[] {
  const problems: string[] = [];
  for (const rule of RULES) {
    const value = settings[rule.setting];
    if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
      problems.push(
        `${rule.setting} must be a whole number from ${rule.min} to ${rule.max} (${rule.what}), got ${value}`,
      );
    }
  }
  if (settings.batchSize > 10 && settings.batchingWindowSeconds < 1) {
    problems.push(
      `batchSize ${settings.batchSize} needs batchingWindowSeconds of at least 1: Lambda accepts batches over 10 only with a batching window`,
    );
  }
  return problems;
}
