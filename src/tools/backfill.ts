import { readFile } from 'node:fs/promises';
import { GetBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { forEachLimited } from '../concurrency.js';
import { backfillBodies } from './backfill-notification.js';
import { inventorySource } from './inventory.js';
import { writePrivateFile } from './private-files.js';
import { listingOffThisThread, listingOnThisThread, type S3Listing } from './s3-listing.js';
import { ToolError } from './tool-error.js';

export { BACKFILL_SEQUENCER } from '../core/sequencer.js';

/** One object as a listing shows it: everything a notification needs, no HeadObject. */
export interface ListedObject {
  readonly key: string;
  readonly eTag: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly versionId?: string;
}

/** Counts of a backfill, reported as it goes. */
export interface BackfillProgress {
  listed: number;
  enqueued: number;
  /** Keys whose newest entry is a delete marker: nothing current to record. */
  skippedDeleteMarkers: number;
  partitions: number;
  partitionsDone: number;
  /** Requests made, by kind; a backfill never heads an object (the worker does). */
  listCalls: number;
  sendCalls: number;
  /** An inventory's gzipped bytes, when its manifest gives every file's size: the ETA's total. */
  bytesTotal?: number;
  /** Of {@link bytesTotal}, those read (lines a resume skips included). */
  bytesRead?: number;
}

/** Where a backfill is, saved so `--resume` continues after a crash or Ctrl-C. */
export interface BackfillCheckpoint {
  readonly bucket: string;
  /** The prefix listed, or the inventory manifest read. */
  readonly prefix: string;
  /** Per partition prefix: the last key whose notification (and every one before it) was enqueued. */
  readonly partitions: Record<string, { readonly after?: string; readonly done: boolean }>;
}

/** What a backfill needs. */
export interface BackfillOptions {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly bucket: string;
  readonly prefix?: string;
  readonly queueUrl: string;
  readonly region: string;
  /** Partitions listed, and SendMessageBatch calls in flight, at once. @default 8 */
  readonly concurrency?: number;
  /** Most notifications per second, so a backfill does not starve live uploads. @default unlimited */
  readonly rate?: number;
  /** List and count, send nothing. */
  readonly dryRun?: boolean;
  /** Checkpoint file: written as partitions advance; with `resume`, read first. */
  readonly checkpoint?: { readonly path: string; readonly resume: boolean };
  readonly onProgress?: (progress: Readonly<BackfillProgress>) => void;
  /** Stops the backfill between pages (Ctrl-C); the checkpoint is saved first. */
  readonly signal?: AbortSignal;
  /** Keys per listing page (S3's MaxKeys). @default 1000 */
  readonly pageSize?: number;
  /** Read this S3 Inventory report (`s3://bucket/path/manifest.json`) instead of listing the bucket. */
  readonly inventory?: string;
  /**
   * List in a worker thread, so parsing the listing does not hold up sending (the CLI does).
   * @default false: `s3` lists, on this thread
   */
  readonly listingThread?: boolean;
}

/** Where a backfill's objects come from, split into partitions that can be read in parallel and resumed. */
export interface ObjectSource {
  /** The partitions, in the order they are worked on. */
  partitions(): Promise<string[]>;
  /** One partition's pages, starting after `after` (a page's `resumeAfter`). */
  pages(partition: string, after: string | undefined): AsyncIterable<ListedPage>;
}

/** A counting semaphore with a rate: at most `concurrency` holders, at most `rate` permits a second. */
class Throttle {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  #nextSlotMs = Date.now();

  constructor(
    private readonly concurrency: number,
    private readonly rate: number | undefined,
  ) {}

  /** Runs `task` when a slot is free, after the rate allows `permits` more. */
  async run<T>(permits: number, task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active += 1;
    try {
      if (this.rate) {
        const due = this.#nextSlotMs;
        this.#nextSlotMs = Math.max(Date.now(), due) + (permits / this.rate) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      return await task();
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }
}

/**
 * Re-enqueues ObjectCreated notifications for objects that already exist, built from the listing
 * alone (ListObjectsV2, or ListObjectVersions' current versions in a versioned bucket): no
 * HeadObject, since the worker heads every object anyway. The key space under `prefix` is split by
 * its `/` prefixes, listed in parallel, and sent with SendMessageBatch (10 a call) at a bounded
 * concurrency and rate. The worker's idempotency makes a second run add no row.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillProgress> {
  const prefix = options.prefix ?? '';
  const progress: BackfillProgress = {
    listed: 0,
    enqueued: 0,
    skippedDeleteMarkers: 0,
    partitions: 0,
    partitionsDone: 0,
    listCalls: 0,
    sendCalls: 0,
  };
  if (options.inventory) {
    const source = inventorySource(
      options.s3,
      options.inventory,
      options.bucket,
      progress,
      options.pageSize ?? 1000,
    );
    return backfillFrom(source, options.inventory, options, progress);
  }
  const listing = options.listingThread ? listingOffThisThread(options.s3) : listingOnThisThread(options.s3);
  try {
    return await backfillFrom(listingSource(options, listing, prefix, progress), prefix, options, progress);
  } finally {
    await listing.close();
  }
}

/**
 * Sends the notifications of every partition of `source`, checkpointing as partitions advance.
 *
 * @param sourceId - what a checkpoint belongs to: the prefix listed, or the inventory read
 */
async function backfillFrom(
  source: ObjectSource,
  sourceId: string,
  options: BackfillOptions,
  progress: BackfillProgress,
): Promise<BackfillProgress> {
  const concurrency = options.concurrency ?? 8;
  const saved = options.checkpoint?.resume
    ? await readCheckpoint(options.checkpoint.path, options.bucket, sourceId)
    : undefined;
  const partitions = saved ? Object.keys(saved.partitions) : await source.partitions();
  const state: BackfillCheckpoint = {
    bucket: options.bucket,
    prefix: sourceId,
    partitions: Object.fromEntries(partitions.map((p) => [p, saved?.partitions[p] ?? { done: false }])),
  };
  progress.partitions = partitions.length;
  progress.partitionsDone = Object.values(state.partitions).filter((p) => p.done).length;
  const sends = new Throttle(concurrency, options.rate);
  const bodies = backfillBodies(options.bucket, options.region);
  let lastSave = 0;
  const save = async (force = false) => {
    if (!options.checkpoint || options.dryRun || (!force && Date.now() - lastSave < 1000)) return;
    lastSave = Date.now();
    await writeCheckpoint(options.checkpoint.path, state);
  };

  const backfillPartition = async (partition: string) => {
    const entry = state.partitions[partition];
    if (!entry || entry.done) return;
    let after = entry.after;
    for await (const page of prefetching(source.pages(partition, after))) {
      options.signal?.throwIfAborted();
      progress.listed += page.objects.length;
      progress.skippedDeleteMarkers += page.deleteMarkers;
      const batches: ListedObject[][] = [];
      for (let i = 0; i < page.objects.length; i += 10) batches.push(page.objects.slice(i, i + 10));
      await Promise.all(
        batches.map((batch) =>
          sends.run(batch.length, async () => {
            if (!options.dryRun) {
              await sendBatch(options, bodies, batch);
              progress.sendCalls += 1;
            }
            progress.enqueued += batch.length;
            options.onProgress?.({ ...progress });
          }),
        ),
      );
      // The whole page is enqueued: a resume starts after it.
      after = page.resumeAfter ?? after;
      state.partitions[partition] = { ...(after !== undefined && { after }), done: false };
      await save();
    }
    state.partitions[partition] = { ...(after !== undefined && { after }), done: true };
    progress.partitionsDone += 1;
    options.onProgress?.({ ...progress });
    await save();
  };

  try {
    await forEachLimited(partitions, concurrency, backfillPartition);
  } finally {
    await save(true);
  }
  return progress;
}

/**
 * The same items, with the next one already being fetched while the consumer works on the current
 * one: a partition lists its next page while it sends the notifications of this one.
 */
export async function* prefetching<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      // Stopping early leaves this fetch unawaited: its failure must not be unhandled.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** The bucket's listing: `/` partitions under the prefix, ListObjectVersions' current versions when versioned. */
function listingSource(
  options: BackfillOptions,
  listing: S3Listing,
  prefix: string,
  progress: BackfillProgress,
): ObjectSource {
  // Asked beside the partitions' listing, one round trip less before the first notification. A
  // resume whose partitions are all done never awaits it.
  const versioned = isVersioned(options.s3, options.bucket);
  versioned.catch(() => undefined);
  return {
    partitions: async () =>
      (await Promise.all([partitionsOf(listing, options.bucket, prefix, progress), versioned]))[0],
    async *pages(partition, after) {
      yield* listPages(
        listing,
        options.bucket,
        partition,
        // The root partition holds the keys directly under the prefix; the others, one `/` prefix each.
        { pageSize: options.pageSize ?? 1000, isRoot: partition === prefix, versioned: await versioned },
        after,
        progress,
      );
    },
  };
}

/** Whether the bucket keeps versions (then the current version of each key is what is recorded). */
async function isVersioned(s3: S3Client, bucket: string): Promise<boolean> {
  const answer = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return answer.Status === 'Enabled' || answer.Status === 'Suspended';
}

/**
 * The partitions of the key space under `prefix`: the prefix itself for the keys directly under it,
 * and each `/` prefix below it. Listing partitions in parallel is what makes a large bucket fast.
 */
async function partitionsOf(
  listing: S3Listing,
  bucket: string,
  prefix: string,
  progress: BackfillProgress,
): Promise<string[]> {
  const found: string[] = [prefix];
  let token: string | undefined;
  do {
    const page = await listing.listObjectsV2({
      Bucket: bucket,
      Delimiter: '/',
      ...(prefix && { Prefix: prefix }),
      ...(token && { ContinuationToken: token }),
    });
    progress.listCalls += 1;
    for (const common of page.CommonPrefixes ?? []) if (common.Prefix) found.push(common.Prefix);
    token = page.NextContinuationToken;
  } while (token);
  return found;
}

/** One page of current objects, and where a resume starts once it is wholly enqueued. */
export interface ListedPage {
  readonly objects: ListedObject[];
  readonly deleteMarkers: number;
  readonly resumeAfter?: string;
}

/** A listing entry (ListObjectsV2's `Contents` or ListObjectVersions' `Versions`) as a listed object. */
function listedObject(entry: {
  Key?: string;
  ETag?: string;
  Size?: number;
  LastModified?: Date;
  VersionId?: string;
}): ListedObject[] {
  if (!entry.Key) return [];
  return [
    {
      key: entry.Key,
      eTag: (entry.ETag ?? '').replace(/"/g, ''),
      size: entry.Size ?? 0,
      lastModified: entry.LastModified ?? new Date(),
      ...(entry.VersionId && entry.VersionId !== 'null' && { versionId: entry.VersionId }),
    },
  ];
}

/** Pages of one partition's current objects, after `after` (a key), in key order. */
async function* listPages(
  listing: S3Listing,
  bucket: string,
  partition: string,
  shape: { readonly pageSize: number; readonly isRoot: boolean; readonly versioned: boolean },
  after: string | undefined,
  progress: BackfillProgress,
): AsyncGenerator<ListedPage> {
  const { pageSize, isRoot, versioned } = shape;
  const delimiter = isRoot ? { Delimiter: '/' } : {};
  if (!versioned) {
    let token: string | undefined;
    do {
      const page = await listing.listObjectsV2({
        Bucket: bucket,
        ...(partition && { Prefix: partition }),
        ...delimiter,
        MaxKeys: pageSize,
        ...(token ? { ContinuationToken: token } : after ? { StartAfter: after } : {}),
      });
      progress.listCalls += 1;
      token = page.NextContinuationToken;
      const objects = (page.Contents ?? []).flatMap(listedObject);
      yield { objects, deleteMarkers: 0, ...(objects.at(-1) && { resumeAfter: objects.at(-1)?.key }) };
    } while (token);
    return;
  }
  let keyMarker = after;
  let versionMarker: string | undefined;
  let truncated = true;
  while (truncated) {
    const page = await listing.listObjectVersions({
      Bucket: bucket,
      ...(partition && { Prefix: partition }),
      ...delimiter,
      MaxKeys: pageSize,
      ...(keyMarker && { KeyMarker: keyMarker }),
      ...(versionMarker && { VersionIdMarker: versionMarker }),
    });
    progress.listCalls += 1;
    const objects = (page.Versions ?? []).filter((version) => version.IsLatest).flatMap(listedObject);
    const deleteMarkers = (page.DeleteMarkers ?? []).filter((marker) => marker.IsLatest).length;
    truncated = page.IsTruncated === true;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
    // A key's versions may continue on the next page; its current one came first, so the page's
    // last complete key is the one before the next key marker.
    yield { objects, deleteMarkers, ...(objects.at(-1) && { resumeAfter: objects.at(-1)?.key }) };
  }
}

async function sendBatch(
  options: BackfillOptions,
  bodies: (object: ListedObject) => string,
  batch: readonly ListedObject[],
): Promise<void> {
  const result = await options.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: batch.map((object, index) => ({ Id: String(index), MessageBody: bodies(object) })),
    }),
  );
  if (result.Failed && result.Failed.length > 0) {
    throw new Error(
      `SendMessageBatch failed for ${result.Failed.length} notifications: ${result.Failed[0]?.Message}`,
    );
  }
}

async function readCheckpoint(path: string, bucket: string, prefix: string): Promise<BackfillCheckpoint> {
  let saved: BackfillCheckpoint;
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as BackfillCheckpoint;
  } catch (error) {
    throw new ToolError(`cannot resume: no checkpoint at ${path}`, { cause: error });
  }
  if (saved.bucket !== bucket || saved.prefix !== prefix) {
    throw new ToolError(
      `cannot resume: ${path} is the checkpoint of s3://${saved.bucket}/${saved.prefix}, not s3://${bucket}/${prefix}`,
    );
  }
  return saved;
}

/**
 * Writes the checkpoint atomically (a crash leaves the old one or the new one, never half),
 * through a fresh exclusive temporary name: a symlink planted at a guessable one is never followed.
 */
async function writeCheckpoint(path: string, state: BackfillCheckpoint): Promise<void> {
  await writePrivateFile(path, `${JSON.stringify(state)}\n`);
}
