import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { eventSourceProblems } from '../../infra/event-source-rules.js';
import { unknownContextKeys } from '../../infra/stack-context.js';

/** cdk.json's context, so the app is built as `cdk synth` builds it. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** Builds the app as `cdk synth -c KEY=VALUE ...` would (every -c value is a string). */
const synthWith = (context: Record<string, string>) => () =>
  buildApp({ context: { ...CDK_JSON_CONTEXT, ...context } });

describe('synth refuses settings that can never work, naming them', () => {
  it.each([
    [
      { retentionDays: '0' },
      'worker setting retentionDays: RETENTION_DAYS environment variable must be a whole number from 1',
    ],
    [{ retentionDays: '1.5' }, 'worker setting retentionDays'],
    [{ gsiShardCount: '0' }, 'worker setting gsiShardCount: GSI_SHARD_COUNT'],
    [{ maxObjectBytes: '0' }, 'worker setting maxObjectBytes: MAX_OBJECT_BYTES'],
    [{ allowedContentTypes: '*/*' }, 'worker setting allowedContentTypes'],
    [
      { blockedExtensions: 'bat,*.exe' },
      'worker setting blockedExtensions: BLOCKED_EXTENSIONS environment variable: "*.exe"',
    ],
    [
      { batchSize: '20', batchingWindowSeconds: '0' },
      'batchSize 20 needs batchingWindowSeconds of at least 1',
    ],
    [{ batchSize: '20000' }, 'batchSize must be a whole number from 1 to 10000'],
    [{ workerTimeoutSeconds: '901' }, 'functionTimeoutSeconds must be a whole number from 1 to 900'],
    [{ maxConcurrency: '1' }, 'maxConcurrency must be a whole number from 2 to 1000'],
    [{ maxReceiveCount: '0' }, 'maxReceiveCount must be a whole number from 1 to 1000'],
    [{ copyDestinaton: 'true' }, 'unknown context key copyDestinaton (did you mean copyDestination?)'],
  ])('%o', (context, message) => {
    expect(synthWith(context)).toThrow(message);
  });

  it('builds the app when every setting is one AWS and the worker accept', () => {
    expect(
      synthWith({ retentionDays: '30', gsiShardCount: '16', batchSize: '100', batchingWindowSeconds: '2' }),
    ).not.toThrow();
  });
});

describe('eventSourceProblems', () => {
  const valid = {
    functionTimeoutSeconds: 30,
    memorySize: 1024,
    batchSize: 10,
    batchingWindowSeconds: 0,
    maxConcurrency: 50,
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 180,
  };

  it('accepts the defaults and a batch over 10 with a window', () => {
    expect(eventSourceProblems(valid)).toEqual([]);
    expect(eventSourceProblems({ ...valid, batchSize: 10_000, batchingWindowSeconds: 1 })).toEqual([]);
  });

  it('refuses a visibility timeout over 12 hours', () => {
    expect(eventSourceProblems({ ...valid, visibilityTimeoutSeconds: 43_201 })).toEqual([
      'visibilityTimeoutSeconds must be a whole number from 0 to 43200 (SQS visibility timeout), got 43201',
    ]);
  });
});

describe('unknownContextKeys', () => {
  it("ignores CDK's own keys and reports plain names it does not know", () => {
    expect(
      unknownContextKeys({
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:enable-path-metadata': true,
        'acknowledged-issue-numbers': [1],
        stackName: 'x',
        alarmMail: 'a@example.com',
        zzz: '1',
      }),
    ).toEqual(['unknown context key alarmMail (did you mean alarmEmail?)', 'unknown context key zzz']);
  });
});
