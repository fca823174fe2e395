import { decodeS3EventKey } from '../src/core/s3-key.js';
import type { PlannedObject, Workload } from './workload.js';

/** Sends one notification body to the ingest queue. */
export type Send = (body: string) => Promise<void>;

interface Pending {
  readonly body: string;
  readonly send: Send;
}

/**
 * Delivers notifications the way the plan says: duplicates (some at once, some later) and late
 * events (the first version's notification held until the second was processed).
 *
 * On the embedded stack it sits between S3 and the queue ({@link tap}), so duplicates are exact
 * copies and a late event is the real notification, delivered late. Against a running or deployed
 * stack it cannot hold S3's own notifications back; there it adds re-built ones ({@link afterUpload}).
 */
export class FaultInjector {
  readonly #byKey = new Map<string, PlannedObject>();
  readonly #firstOfTwo = new Map<string, Pending>();
  readonly #late: Pending[] = [];
  readonly #delayed: Pending[] = [];
  /** The newest notification body of each key, for measuring what a duplicate costs. */
  readonly lastBody = new Map<string, string>();
  /** Notifications sent to the ingest queue (originals, duplicates, late), S3's SendMessage calls. */
  notificationsSent = 0;

  constructor(workload: Workload) {
    for (const object of workload.objects) this.#byKey.set(object.key, object);
  }

  /** The embedded bridge's tap: routes each real notification according to the plan. */
  readonly tap = async (body: string, send: Send): Promise<void> => {
    const key = keyOf(body);
    const object = key === undefined ? undefined : this.#byKey.get(key);
    if (!object || key === undefined) {
      if (key !== undefined) this.lastBody.set(key, body);
      this.notificationsSent += 1;
      await send(body);
      return;
    }
    if (object.versions === 2) {
      // Hold the first notification; when the second comes, the older of the two is the late one.
      const first = this.#firstOfTwo.get(key);
      if (!first) {
        this.#firstOfTwo.set(key, { body, send });
        return;
      }
      this.#firstOfTwo.delete(key);
      const [older, newer] =
        sequencerOf(first.body) <= sequencerOf(body) ? [first.body, body] : [body, first.body];
      this.#late.push({ body: older, send });
      this.lastBody.set(key, newer);
      await this.#deliver(object, newer, send, true);
      return;
    }
    this.lastBody.set(key, body);
    await this.#deliver(object, body, send, true);
  };

  /**
   * After an upload to a stack whose notifications cannot be tapped: adds the planned extra
   * deliveries as re-built notifications (`body`), which S3 itself did not send.
   */
  async afterUpload(object: PlannedObject, version: number, body: string, send: Send): Promise<void> {
    if (version < object.versions) {
      this.#late.push({ body, send });
      return;
    }
    await this.#deliver(object, body, send, false);
  }

  async #deliver(object: PlannedObject, body: string, send: Send, includeOriginal: boolean): Promise<void> {
    const copies = object.concurrentDuplicates + (includeOriginal ? 1 : 0);
    this.notificationsSent += copies;
    await Promise.all(Array.from({ length: copies }, () => send(body)));
    for (let i = 0; i < object.delayedDuplicates; i += 1) this.#delayed.push({ body, send });
  }

  /** Sends the duplicates planned for later. */
  async flushDelayed(): Promise<number> {
    return this.#flush(this.#delayed);
  }

  /** Sends the held first-version notifications of late objects. */
  async releaseLate(): Promise<number> {
    return this.#flush(this.#late);
  }

  async #flush(pending: Pending[]): Promise<number> {
    const batch = pending.splice(0);
    this.notificationsSent += batch.length;
    for (let i = 0; i < batch.length; i += 50) {
      await Promise.all(batch.slice(i, i + 50).map(({ body, send }) => send(body)));
    }
    return batch.length;
  }
}

/** The sequencer of a notification's first record (S3's are fixed-width hex of one length per key). */
function sequencerOf(body: string): string {
  const parsed = JSON.parse(body) as { Records?: { s3?: { object?: { sequencer?: string } } }[] };
  return parsed.Records?.[0]?.s3?.object?.sequencer ?? '';
}

/** The decoded key of a notification's first record, if it has one. */
function keyOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { Records?: { s3?: { object?: { key?: unknown } } }[] };
    const key = parsed.Records?.[0]?.s3?.object?.key;
    return typeof key === 'string' ? decodeS3EventKey(key) : undefined;
  } catch {
    return undefined;
  }
}
