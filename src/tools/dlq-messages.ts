import type { Message } from '@aws-sdk/client-sqs';
import { parseMessageBody } from '../core/envelope.js';
import { printable } from './format.js';
import { UsageError } from './tool-error.js';

/** One S3 event record of a message. */
export interface RecordSummary {
  readonly bucket: string;
  readonly key: string;
  readonly event: string;
}

/** What on-call needs to know about one DLQ message. */
export interface MessageSummary {
  readonly messageId: string;
  /** The first record's bucket, key and event (see `records` for all of them). */
  readonly bucket?: string;
  readonly key?: string;
  readonly event?: string;
  /** Every record's key, in message order. */
  readonly keys?: readonly string[];
  /** Every record of the message, in order; filters look at each one. */
  readonly records?: readonly RecordSummary[];
  /** Why the worker cannot read the body, when it cannot. */
  readonly problem?: string;
  readonly receiveCount: number;
  readonly firstSentAt?: string;
  readonly ageSeconds?: number;
  readonly body: string;
}

/** Summarises a received message without trusting its body. */
export function summarizeMessage(message: Message, now = Date.now()): MessageSummary {
  const body = message.Body ?? '';
  const sent = Number(message.Attributes?.SentTimestamp);
  const base = {
    messageId: message.MessageId ?? '',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    ...(Number.isFinite(sent) &&
      sent > 0 && { firstSentAt: new Date(sent).toISOString(), ageSeconds: (now - sent) / 1000 }),
    body,
  };
  try {
    const parsed = parseMessageBody(body);
    if (parsed.type === 'test-event') return { ...base, event: 's3:TestEvent' };
    // A scan result is about one object: it reads as one record, its event the scan's result.
    const records =
      parsed.type === 'scan-result'
        ? [{ bucket: parsed.scan.bucket, key: parsed.scan.key, event: `MalwareScan:${parsed.scan.result}` }]
        : parsed.type === 'scan-check'
          ? [{ bucket: parsed.check.bucket, key: parsed.check.key, event: 'MalwareScan:Check' }]
          : parsed.events.map((e) => ({ bucket: e.bucket, key: e.key, event: e.eventName }));
    const [first] = records;
    return {
      ...base,
      ...(first && { bucket: first.bucket, key: first.key, event: first.event }),
      keys: records.map((r) => r.key),
      records,
    };
  } catch (error) {
    return { ...base, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Decides whether a message is selected. */
export type MessageFilter = (summary: MessageSummary) => boolean;

/**
 * How record tests (`bucket=`, `key-prefix=`, `event=`) meet a message of several records:
 * `any` selects it when one record passes them all (redrive: moving a message too many is
 * harmless), `every` only when each record does (discard: a message is never deleted for a
 * record that matched while another did not).
 */
export type RecordMatch = 'any' | 'every';

type RecordTest = (record: RecordSummary) => boolean;

/**
 * Builds one filter from `--filter` expressions, all of which must match:
 * `bucket=NAME`, `key-prefix=PREFIX`, `event=PREFIX` (e.g. `ObjectRemoved`) on the message's
 * records (see {@link RecordMatch}), `contains=TEXT` (anywhere in the raw body), `malformed`
 * (bodies the worker cannot read), `readable`.
 *
 * @param match - how record tests meet several records @default 'any'
 * @throws {UsageError} for an expression it does not know, or one that needs a value and has none
 */
export function parseFilters(expressions: readonly string[], match: RecordMatch = 'any'): MessageFilter {
  const recordTests: RecordTest[] = [];
  const messageTests: MessageFilter[] = [];
  for (const expression of expressions) {
    const [name = '', ...rest] = expression.split('=');
    const value = rest.join('=');
    const needsValue = ['bucket', 'key-prefix', 'event', 'contains'].includes(name.trim());
    if (needsValue && value === '') {
      // An empty value would match every message (a prefix) or none (a bucket): neither was meant.
      throw new UsageError(
        `filter "${printable(expression)}" needs a value: ${printable(name.trim())}=VALUE`,
      );
    }
    switch (name.trim()) {
      case 'bucket':
        recordTests.push((r) => r.bucket === value);
        break;
      case 'key-prefix':
        recordTests.push((r) => r.key.startsWith(value));
        break;
      case 'event':
        recordTests.push((r) => r.event.startsWith(value));
        break;
      case 'contains':
        messageTests.push((m) => m.body.includes(value));
        break;
      case 'malformed':
        messageTests.push((m) => m.problem !== undefined);
        break;
      case 'readable':
        messageTests.push((m) => m.problem === undefined);
        break;
      default:
        throw new UsageError(
          `unknown filter "${printable(expression)}": use bucket=NAME, key-prefix=PREFIX, event=PREFIX, contains=TEXT, malformed or readable`,
        );
    }
  }
  const recordPasses = (record: RecordSummary) => recordTests.every((test) => test(record));
  return (summary) => {
    if (!messageTests.every((test) => test(summary))) return false;
    if (recordTests.length === 0) return true;
    const records = summary.records ?? [];
    if (records.length === 0) return false;
    return match === 'every' ? records.every(recordPasses) : records.some(recordPasses);
  };
}

/** Whether a message names S3 records and none of them is in a watched bucket. */
export function onlyUnwatchedBuckets(summary: MessageSummary, watchedBuckets: readonly string[]): boolean {
  const records = summary.records ?? [];
  return records.length > 0 && records.every((record) => !watchedBuckets.includes(record.bucket));
}
