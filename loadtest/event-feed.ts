import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type UploadEvent, uploadEventOf } from '../src/core/upload-events.js';
import { tailUploadEvents } from '../src/tools/event-tail.js';
import { type Percentiles, percentiles } from './stats.js';

/** An upload event as the load test's subscriber received it. */
export interface ReceivedEvent {
  readonly event: UploadEvent;
  readonly receivedAtMs: number;
}

/** The events the log's verified rows must have been announced by, against what a subscriber got. */
export interface EventsCheck {
  /** Events the verified rows call for: one per upload row, and a correction per row a malware scan rejected. */
  readonly expected: number;
  /** Events of this run received, repeats included. */
  readonly received: number;
  /** Rows whose event never came. */
  readonly missing: number;
  /** Events of this run that no row calls for. */
  readonly orphan: number;
  /** Receipts beyond the first of an id (at-least-once delivery: a consumer deduplicates on `id`). */
  readonly duplicated: number;
  /** Row write (`processedAt`) to the subscriber's receipt, first receipt of each row's `upload.recorded`. */
  readonly latencyMs: Percentiles;
}

/** The id of the event an upload row's insert announces. */
export function expectedEventId(row: Readonly<Record<string, unknown>>): string | undefined {
  return uploadEventOf({ eventName: 'INSERT', newImage: row })?.id;
}

/**
 * The id of the `upload.corrected` event of a row its malware scan rejected after it was written
 * (`STORED`, then `REJECTED` with a `malware:` reason); undefined for any other row.
 */
export function expectedCorrectionId(row: Readonly<Record<string, unknown>>): string | undefined {
  if (row.scanResult !== 'THREATS_FOUND' || !String(row.reason ?? '').startsWith('malware:'))
    return undefined;
  return uploadEventOf({
    eventName: 'MODIFY',
    oldImage: { pk: row.pk, sk: row.sk, status: 'STORED' },
    newImage: row,
  })?.id;
}

/**
 * Compares the events received with the rows verified: every row's event exactly once is the
 * goal; a repeat is reported (the feed is at least once), a missing or orphan event is a failure.
 * Events of other runs (another key prefix) are not this run's and are left out.
 */
export function checkEvents(
  rows: readonly Readonly<Record<string, unknown>>[],
  received: readonly ReceivedEvent[],
  keyPrefix: string,
): EventsCheck {
  const expected = new Map<string, Readonly<Record<string, unknown>>>();
  const corrections = new Set<string>();
  for (const row of rows) {
    const id = expectedEventId(row);
    if (id) expected.set(id, row);
    const correction = expectedCorrectionId(row);
    if (correction) corrections.add(correction);
  }
  const firstReceipt = new Map<string, ReceivedEvent>();
  let ours = 0;
  let duplicated = 0;
  let orphan = 0;
  for (const each of received) {
    if (!each.event.key?.startsWith(keyPrefix)) continue;
    ours += 1;
    if (firstReceipt.has(each.event.id)) duplicated += 1;
    else {
      firstReceipt.set(each.event.id, each);
      if (!expected.has(each.event.id) && !corrections.has(each.event.id)) orphan += 1;
    }
  }
  const latencies: number[] = [];
  let missing = 0;
  for (const [id, row] of expected) {
    const first = firstReceipt.get(id);
    if (!first) missing += 1;
    else latencies.push(Math.max(0, first.receivedAtMs - Date.parse(String(row.processedAt))));
  }
  for (const id of corrections) if (!firstReceipt.has(id)) missing += 1;
  return {
    expected: expected.size + corrections.size,
    received: ours,
    missing,
    orphan,
    duplicated,
    latencyMs: percentiles(latencies),
  };
}

/**
 * A subscriber of the stack's upload events for the length of a run: a temporary queue subscribed
 * to the topic (removed when it stops), every event kept with the time it arrived.
 */
export class EventSubscriber {
  readonly received: ReceivedEvent[] = [];
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  /** Subscribes; resolves once events published from now on reach it. */
  async start(clients: { sqs: SQSClient; sns: SNSClient }, topicArn: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#running = tailUploadEvents({
        ...clients,
        topicArn,
        filterPolicy: {},
        signal: this.#abort.signal,
        onEvent: (event) => this.received.push({ event, receivedAtMs: Date.now() }),
        onReady: () => resolve(),
      });
      this.#running.catch(reject);
    });
  }

  /** Unsubscribes and removes the queue. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
  }
}
