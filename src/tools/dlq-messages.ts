import type { Message } from '@aws-sdk/client-sqs';
import { parseMessageBody } from '../core/envelope.js';
import { UsageError } from './tool-error.js';

/** What on-call needs to know about one DLQ message. */
export interface MessageSummary {
  readonly messageId: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly event?: string;
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
    const [first] = parsed.events;
    const more = parsed.events.length > 1 ? ` (+${parsed.events.length - 1} more)` : '';
    return {
      ...base,
      ...(first && { bucket: first.bucket, key: `${first.key}${more}`, event: first.eventName }),
    };
  } catch (error) {
    return { ...base, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Decides whether a message is selected. */
export type MessageFilter = (summary: MessageSummary) => boolean;

/**
 * Builds one filter from `--filter` expressions, all of which must match:
 * `bucket=NAME`, `key-prefix=PREFIX`, `event=PREFIX` (e.g. `ObjectRemoved`), `contains=TEXT`
 * (anywhere in the raw body), `malformed` (bodies the worker cannot read), `readable`.
 *
 * @throws {UsageError} for an expression it does not know, or one that needs a value and has none
 */
export function parseFilters(expressions: readonly string[]): MessageFilter {
  const tests = expressions.map((expression): MessageFilter => {
    const [name = '', ...rest] = expression.split('=');
    const value = rest.join('=');
    const needsValue = ['bucket', 'key-prefix', 'event', 'contains'].includes(name.trim());
    if (needsValue && value === '') {
      // An empty value would match every message (a prefix) or none (a bucket): neither was meant.
      throw new UsageError(`filter "${expression}" needs a value: ${name.trim()}=VALUE`);
    }
    switch (name.trim()) {
      case 'bucket':
        return (m) => m.bucket === value;
      case 'key-prefix':
        return (m) => m.key?.startsWith(value) ?? false;
      case 'event':
        return (m) => m.event?.startsWith(value) ?? false;
      case 'contains':
        return (m) => m.body.includes(value);
      case 'malformed':
        return (m) => m.problem !== undefined;
      case 'readable':
        return (m) => m.problem === undefined;
      default:
        throw new UsageError(
          `unknown filter "${expression}": use bucket=NAME, key-prefix=PREFIX, event=PREFIX, contains=TEXT, malformed or readable`,
        );
    }
  });
  return (summary) => tests.every((test) => test(summary));
}
