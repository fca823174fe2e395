import { decodeS3EventKey } from '../src/core/s3-key.js';
import { isScanResultEvent, parseScanResultEvent } from '../src/core/scan-result.js';
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
 *
 * Malware scan results pass through the tap too (the local stack's GuardDuty sends them the way its
 * notifications go): one for a version whose notification is held back waits until
 * {@link releaseScanResults}, as GuardDuty's result follows S3's notification of the same upload.
 */
export class FaultInjector {
  readonly #byKey = new Map<string, PlannedObject>();
  readonly #firstOfTwo = new Map<string, Pending>();
  readonly #late: Pending[] = [];
  readonly #delayed: Pending[] = [];
  /** Versions (`key`, newline, eTag) whose notification is held back. */
  readonly #heldVersions = new Set<string>();
  readonly #heldScanResults: Pending[] = [];
  /** The newest notification body of each key, for measuring what a duplicate costs. */
  readonly lastBody = new Map<string, string>();
  /** Notifications sent to the ingest queue (originals, duplicates, late), S3's SendMessage calls. */
  notificationsSent = 0;

  constructor(workload: Workload) {
    for (const object of workload.objects) this.#byKey.set(object.key, object);
  }

  /** The embedded bridge's tap: routes each real notification according to the plan. */
  readonly tap = async (body: string, send: Send): Promise<void> => {
    const scanned = scannedVersionOf(body);
    if (scanned) {
      if (this.#heldVersions.has(scanned)) this.#heldScanResults.push({ body, send });
      else await send(body);
      return;
    }
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
        this.#heldVersions.add(versionOf(key, body));
        return;
      }
      this.#firstOfTwo.delete(key);
      this.#heldVersions.delete(versionOf(key, first.body));
      const [older, newer] =
        sequencerOf(first.body) <= sequencerOf(body) ? [first.body, body] : [body, first.body];
      this.#late.push({ body: older, send });
      this.#heldVersions.add(versionOf(key, older));
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
    this.#heldVersions.clear();
    return this.#flush(this.#late);
  }

  /** Sends the scan results of versions whose notification was held back (after {@link releaseLate}). */
  async releaseScanResults(): Promise<number> {
    const batch = this.#heldScanResults.splice(0);
    for (const { body, send } of batch) await send(body);
    return batch.length;
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

/** `key`, newline, eTag of a notification's first record. */
function versionOf(key: string, body: string): string {
  const parsed = JSON.parse(body) as { Records?: { s3?: { object?: { eTag?: string } } }[] };
  return `${key}\n${parsed.Records?.[0]?.s3?.object?.eTag ?? ''}`;
}

/** `key`, newline, eTag of the version a GuardDuty scan result is for; undefined for anything else. */
function scannedVersionOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (!isScanResultEvent(parsed)) return undefined;
    const scan = parseScanResultEvent(parsed);
    return `${scan.key}\n${scan.eTag}`;
  } catch {
    return undefined;
  }
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
