import type { SQSClient } from '@aws-sdk/client-sqs';
import type { UploadEvent } from '../core/upload-events.js';
import { missingUploadEvents, snsClientFor, tailUploadEvents } from '../tools/event-tail.js';
import type { ToolTarget } from '../tools/target.js';

/** How many of the latest events the console keeps. */
export const EVENT_FEED_SIZE = 200;

/** The console's view of the upload events: the latest ones, newest first. */
export interface EventFeed {
  /** `available: false` with the reason when the stack publishes none, or the subscription failed. */
  snapshot(): { available: boolean; reason?: string; events: readonly UploadEvent[] };
  /** Unsubscribes and deletes the feed's queue. */
  close(): Promise<void>;
}

/**
 * Subscribes the console to the stack's upload events (a temporary queue, as `events tail` does)
 * for as long as it runs, keeping the latest {@link EVENT_FEED_SIZE}.
 */
export function startEventFeed(target: ToolTarget, sqs: SQSClient): EventFeed {
  const topicArn = target.uploadEventsTopic;
  const missing = missingUploadEvents(target);
  if (missing || !topicArn) {
    return {
      snapshot: () => ({ available: false, reason: missing ?? 'no upload events topic', events: [] }),
      close: async () => undefined,
    };
  }
  const sns = snsClientFor(target);
  const events: UploadEvent[] = [];
  const stop = new AbortController();
  let failure: string | undefined;
  const running = tailUploadEvents({
    sqs,
    sns,
    topicArn,
    filterPolicy: {},
    signal: stop.signal,
    onEvent: (event) => {
      events.unshift(event);
      events.length = Math.min(events.length, EVENT_FEED_SIZE);
    },
  }).catch((error: unknown) => {
    failure = `the event feed stopped: ${error instanceof Error ? error.message : String(error)}`;
  });
  return {
    snapshot: () => ({ available: failure === undefined, ...(failure && { reason: failure }), events }),
    async close() {
      stop.abort();
      await running;
      sns.destroy();
    },
  };
}
