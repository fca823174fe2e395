import { describe, expect, it, vi } from 'vitest';
import { OUTPUT } from '../../infra/output-names.js';
import { formatLogLine } from '../../src/local/terminal-logs.js';
import { onlyUnwatchedBuckets, parseFilters, summarizeMessage } from '../../src/tools/dlq-messages.js';
import { formatAge, renderCsv } from '../../src/tools/format.js';
import { PIPED_PROGRESS_INTERVAL_MS, progressReporter } from '../../src/tools/progress.js';
import { targetFromOutputs } from '../../src/tools/target.js';
import { ToolError } from '../../src/tools/tool-error.js';
import { daysBetween, parseS3Uri } from '../../src/tools/upload-queries.js';
import { s3Notification, s3Record } from '../support/factories.js';

const outputs = [
  { OutputKey: OUTPUT.ingestBucket, OutputValue: 'ingest-bucket-1' },
  { OutputKey: OUTPUT.watchedBuckets, OutputValue: 'ingest-bucket-1,team-a' },
  { OutputKey: OUTPUT.ingestQueueUrl, OutputValue: 'https://sqs.eu-west-1.amazonaws.com/123/ingest' },
  { OutputKey: OUTPUT.ingestQueueArn, OutputValue: 'arn:aws:sqs:eu-west-1:123:ingest' },
  { OutputKey: OUTPUT.dlqUrl, OutputValue: 'https://sqs.eu-west-1.amazonaws.com/123/dlq' },
  { OutputKey: OUTPUT.dlqArn, OutputValue: 'arn:aws:sqs:eu-west-1:123:dlq' },
  { OutputKey: OUTPUT.uploadLogTable, OutputValue: 'log-table' },
  { OutputKey: OUTPUT.idempotencyTable, OutputValue: 'idem-table' },
  { OutputKey: OUTPUT.gsiShardCount, OutputValue: '16' },
];

describe('deployed stack resolution', () => {
  it('finds every resource of a deployed stack from its outputs', () => {
    expect(targetFromOutputs('uploads-prod', 'eu-west-1', outputs)).toEqual({
      kind: 'aws',
      label: 'uploads-prod',
      region: 'eu-west-1',
      ingestBucket: 'ingest-bucket-1',
      watchedBuckets: ['ingest-bucket-1', 'team-a'],
      ingestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/ingest',
      ingestQueueArn: 'arn:aws:sqs:eu-west-1:123:ingest',
      dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123/dlq',
      dlqArn: 'arn:aws:sqs:eu-west-1:123:dlq',
      uploadLogTable: 'log-table',
      idempotencyTable: 'idem-table',
      gsiShardCount: 16,
    });
  });

  it('finds the Batch Operations backfill when the stack has one', () => {
    const withBackfill = [
      ...outputs,
      {
        OutputKey: OUTPUT.backfillFunctionArn,
        OutputValue: 'arn:aws:lambda:eu-west-1:123456789012:function:b',
      },
      { OutputKey: OUTPUT.batchOperationsRoleArn, OutputValue: 'arn:aws:iam::123456789012:role/r' },
      { OutputKey: OUTPUT.inventoryBucket, OutputValue: 'team-inventory' },
    ];
    expect(targetFromOutputs('p', 'eu-west-1', withBackfill).batchOperations).toEqual({
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:b',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      inventoryBucket: 'team-inventory',
    });
    expect(targetFromOutputs('p', 'eu-west-1', outputs).batchOperations).toBeUndefined();
  });

  it('reads the shard count from the stack, and takes the default from stacks deployed before that output', () => {
    const older = outputs.filter((o) => o.OutputKey !== OUTPUT.gsiShardCount);
    expect(targetFromOutputs('old', 'eu-west-1', older).gsiShardCount).toBe(8);
    const broken = [...older, { OutputKey: OUTPUT.gsiShardCount, OutputValue: 'x' }];
    expect(() => targetFromOutputs('bad', 'eu-west-1', broken)).toThrow('unusable GsiShardCount output');
  });

  it('names the outputs a stack lacks', () => {
    const partial = outputs.filter(
      (o) => o.OutputKey !== OUTPUT.dlqUrl && o.OutputKey !== OUTPUT.uploadLogTable,
    );
    expect(() => targetFromOutputs('other', 'eu-west-1', partial)).toThrow(ToolError);
    expect(() => targetFromOutputs('other', 'eu-west-1', partial)).toThrow(
      `stack other has no output ${OUTPUT.dlqUrl}, ${OUTPUT.uploadLogTable}`,
    );
  });
});

describe('DLQ message summaries and filters', () => {
  const readable = summarizeMessage(
    {
      MessageId: 'm1',
      Body: JSON.stringify(s3Notification(s3Record({ key: 'a dir/x.txt' }), s3Record({ key: 'y.txt' }))),
      Attributes: { ApproximateReceiveCount: '5', SentTimestamp: '1000' },
    },
    61_000,
  );
  const poison = summarizeMessage({ MessageId: 'm2', Body: 'garbage', Attributes: {} });

  it('summarises bucket, decoded key, event, receives and age, and says why a body is unreadable', () => {
    expect(readable).toMatchObject({
      bucket: 'uploads',
      key: 'a dir/x.txt',
      keys: ['a dir/x.txt', 'y.txt'],
      event: 'ObjectCreated:Put',
      receiveCount: 5,
      firstSentAt: '1970-01-01T00:00:01.000Z',
      ageSeconds: 60,
    });
    expect(poison.problem).toBe('message body is not JSON');
  });

  it('combines filters with AND, and rejects unknown ones', () => {
    expect(parseFilters(['bucket=uploads', 'key-prefix=a dir/'])(readable)).toBe(true);
    expect(parseFilters(['bucket=uploads', 'key-prefix=b'])(readable)).toBe(false);
    expect(parseFilters(['malformed'])(poison)).toBe(true);
    expect(parseFilters(['malformed'])(readable)).toBe(false);
    expect(parseFilters(['event=ObjectRemoved'])(readable)).toBe(false);
    expect(parseFilters(['contains=garb'])(poison)).toBe(true);
    expect(() => parseFilters(['size>5'])).toThrow('unknown filter');
  });

  it('looks at every record: any record selects a redrive, every record must match a discard', () => {
    // Prepare: junk first, payroll second.
    const mixed = summarizeMessage({
      MessageId: 'm3',
      Body: JSON.stringify(
        s3Notification(s3Record({ key: 'junk/tmp.bin' }), s3Record({ key: 'payroll/2026-11.csv' })),
      ),
      Attributes: {},
    });
    // Assess
    expect(parseFilters(['key-prefix=payroll/'])(mixed)).toBe(true);
    expect(parseFilters(['key-prefix=junk/'], 'every')(mixed)).toBe(false);
    expect(parseFilters(['key-prefix=junk/'], 'every')(readable)).toBe(false);
    expect(parseFilters(['bucket=uploads'], 'every')(mixed)).toBe(true);
    // A body with no records matches no record test, whichever the mode.
    expect(parseFilters(['bucket=uploads'], 'every')(poison)).toBe(false);
    expect(onlyUnwatchedBuckets(mixed, ['uploads'])).toBe(false);
    expect(onlyUnwatchedBuckets(mixed, ['other'])).toBe(true);
    expect(onlyUnwatchedBuckets(poison, ['other'])).toBe(false);
  });
});

describe('query helpers', () => {
  it('lists every UTC day a range touches', () => {
    expect(daysBetween(new Date('2026-11-23T22:00:00Z'), new Date('2026-11-25T01:00:00Z'))).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
    ]);
    expect(daysBetween(new Date('2026-11-24T10:00:00Z'), new Date('2026-11-24T11:00:00Z'))).toEqual([
      '2026-11-24',
    ]);
  });

  it('parses s3:// URIs with slashes and spaces in the key', () => {
    expect(parseS3Uri('s3://b/a dir/c.txt')).toEqual({ bucket: 'b', key: 'a dir/c.txt' });
    expect(() => parseS3Uri('b/c')).toThrow('expected s3://BUCKET/KEY');
  });

  it('quotes CSV cells that need it and formats ages', () => {
    expect(renderCsv([{ a: 'x,"y"' }], [{ header: 'a', value: (r) => r.a }])).toBe('a\n"x,""y"""');
    expect(formatAge(42)).toBe('42s');
    expect(formatAge(185)).toBe('3m05s');
    expect(formatAge(3720)).toBe('1h02m');
  });
});

describe('progress when stderr is not a terminal', () => {
  it('writes the latest state every couple of seconds, also without new updates, and the last at the end', async () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const progress = progressReporter('loadtest', (text) => lines.push(text), false);
      progress.update('upload 0/300');
      progress.update('upload 50/300');
      progress.update('upload 100/300');
      vi.advanceTimersByTime(PIPED_PROGRESS_INTERVAL_MS);
      vi.advanceTimersByTime(PIPED_PROGRESS_INTERVAL_MS);
      progress.update('drain: 12 messages');
      progress.done();
      expect(lines).toEqual([
        'loadtest: upload 0/300\n',
        'loadtest: upload 100/300\n',
        'loadtest: drain: 12 messages\n',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('worker log lines on a terminal', () => {
  const item = {
    level: 'ERROR',
    message: 'record failed; SQS will deliver it again',
    timestamp: '2026-11-29T19:25:21.995Z',
    objectUri: 's3://uploads/a.txt',
    reason: 'Error: connect ETIMEDOUT',
    error: {
      name: 'Error',
      message: 'connect ETIMEDOUT',
      stack: 'Error: connect ETIMEDOUT\n    at x (y.js:1:2)',
    },
  };

  it('are one line: time, level, message, object, reason; the stack only with --debug', () => {
    expect(formatLogLine(item, false)).toBe(
      '19:25:21.995  ERROR  record failed; SQS will deliver it again  s3://uploads/a.txt  reason: Error: connect ETIMEDOUT\n',
    );
    expect(formatLogLine(item, true)).toContain('\nError: connect ETIMEDOUT\n    at x (y.js:1:2)');
    const { reason: _reason, ...withoutReason } = item;
    expect(formatLogLine(withoutReason, false)).toContain('Error: connect ETIMEDOUT');
  });

  it('show a hostile key and reason as escapes: one line, no terminal control', () => {
    const hostile = {
      ...item,
      objectUri: 's3://uploads/x\u001b[2J\u001b]0;owned\u0007\r\n19:25:22.000  INFO   all good\u202e',
      reason: 'bad\nline',
    };
    const line = formatLogLine(hostile, false);
    expect(line.split('\n')).toEqual([expect.any(String), '']);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern finds
    expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(line).toContain('x\\x1b[2J\\x1b]0;owned\\x07\\r\\n19:25:22.000  INFO   all good\\u202e');
    expect(line).toContain('reason: bad\\nline');
  });
});
