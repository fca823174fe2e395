/** What the load test does to each object, decided up front so that it can be verified row by row. */
export interface PlannedObject {
  readonly index: number;
  readonly key: string;
  /**
   * Uploads of this object: 1, or 2 for a late object, whose first notification is held back and
   * delivered only after the second one was processed.
   */
  readonly versions: 1 | 2;
  /** Extra deliveries of the notification of its newest version sent together with it. */
  readonly concurrentDuplicates: number;
  /** Extra deliveries of that notification sent after all uploads. */
  readonly delayedDuplicates: number;
  /** Its content is the EICAR test file, which a malware scan finds (`--malware-rate`); never a late object. */
  readonly infected?: true;
}

/** The whole workload of one run. */
export interface Workload {
  readonly objects: readonly PlannedObject[];
  readonly duplicatesInjected: number;
  readonly lateInjected: number;
  readonly poisonInjected: number;
  /** Objects whose content is the EICAR test file. */
  readonly infectedInjected: number;
  /** Index of the object after whose upload each poison message is sent. */
  readonly poisonAfter: readonly number[];
}

export interface WorkloadOptions {
  readonly objects: number;
  /** Extra deliveries per object, on average (0.3: 3,000 extra deliveries for 10,000 objects). */
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly poisonRate: number;
  /** Share of the objects uploaded as the EICAR test file (at most the objects that are not late). @default 0 */
  readonly malwareRate?: number;
  /** Prefix of every key, unique per run. */
  readonly keyPrefix: string;
  readonly seed: number;
}

/** A small, seeded generator (mulberry32), so a workload can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Plans a workload: which objects are late, how many extra deliveries each gets (half of them at
 * once with the original, half later), where the poison messages go and which objects are
 * infected (chosen among those uploaded once, so each infected version has a key of its own). Counts
 * are the rates times the object count, rounded.
 */
export function planWorkload(options: WorkloadOptions): Workload {
  const random = seededRandom(options.seed);
  const count = options.objects;
  const pick = () => Math.floor(random() * count);
  const late = new Set<number>();
  const lateInjected = Math.min(count, Math.round(count * options.lateRate));
  while (late.size < lateInjected) late.add(pick());
  const concurrent = new Array<number>(count).fill(0);
  const delayed = new Array<number>(count).fill(0);
  const duplicatesInjected = count === 0 ? 0 : Math.round(count * options.duplicateRate);
  for (let i = 0; i < duplicatesInjected; i += 1) {
    const index = pick();
    if (i % 2 === 0) concurrent[index] = (concurrent[index] ?? 0) + 1;
    else delayed[index] = (delayed[index] ?? 0) + 1;
  }
  const poisonInjected = Math.round(count * options.poisonRate);
  const poisonAfter = Array.from({ length: poisonInjected }, () => pick()).sort((a, b) => a - b);
  const infected = new Set<number>();
  const infectedInjected = Math.min(count - late.size, Math.round(count * (options.malwareRate ?? 0)));
  while (infected.size < infectedInjected) {
    const index = pick();
    if (!late.has(index)) infected.add(index);
  }
  const width = String(Math.max(count - 1, 0)).length;
  const objects = Array.from({ length: count }, (_, index) => ({
    index,
    key: `${options.keyPrefix}${String(index).padStart(width, '0')}.bin`,
    versions: late.has(index) ? (2 as const) : (1 as const),
    concurrentDuplicates: concurrent[index] ?? 0,
    delayedDuplicates: delayed[index] ?? 0,
    ...(infected.has(index) && { infected: true as const }),
  }));
  return { objects, duplicatesInjected, lateInjected, poisonInjected, infectedInjected, poisonAfter };
}

/** Marker that every poison body carries, so the DLQ check can tell them from anything else. */
export const POISON_MARKER = 's3-ingest-loadtest-poison';

/** A malformed message body: valid JSON, but no S3 notification (or not JSON at all, every other one). */
export function poisonBody(runId: string, n: number): string {
  return n % 2 === 0
    ? JSON.stringify({ [POISON_MARKER]: runId, n, note: 'not an S3 notification' })
    : `${POISON_MARKER} ${runId} #${n}: not JSON {`;
}

/**
 * The content of one version of an object: `size` bytes, distinct for every object and version
 * (so every version has its own eTag).
 */
export function objectBody(runId: string, index: number, version: number, size: number): Buffer {
  const head = `${runId}:${index}:v${version}\n`;
  const body = Buffer.alloc(Math.max(size, head.length), '.');
  body.write(head);
  return body;
}
