import { createInterface } from 'node:readline';
import { type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeS3EventKey } from '../core/s3-key.js';
import type { BackfillProgress, ListedObject, ListedPage, ObjectSource } from './backfill.js';
import { parseCsv } from './format.js';
import { ToolError, UsageError } from './tool-error.js';
import { parseS3Uri } from './upload-queries.js';

/** The parts of an S3 Inventory `manifest.json` a backfill reads. */
export interface InventoryManifest {
  readonly sourceBucket: string;
  /** `arn:aws:s3:::bucket` of the bucket holding the report files. */
  readonly destinationBucket: string;
  readonly fileFormat: string;
  /** The CSV columns, comma-separated: `Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, ...`. */
  readonly fileSchema: string;
  /** The report files; `size` is a file's gzipped length, which gives a backfill its ETA. */
  readonly files: readonly { readonly key: string; readonly size?: number }[];
}

/** Reads and checks a manifest. @throws {ToolError} naming what it lacks */
export function parseManifest(text: string, uri: string): InventoryManifest {
  let manifest: Partial<InventoryManifest>;
  try {
    manifest = JSON.parse(text) as Partial<InventoryManifest>;
  } catch (error) {
    throw new ToolError(`${uri} is not JSON: is it an S3 Inventory manifest.json?`, { cause: error });
  }
  if (manifest.fileFormat !== 'CSV') {
    throw new ToolError(
      `${uri} describes a ${manifest.fileFormat ?? 'missing'} report; backfill reads CSV inventories (configure the inventory with CSV output)`,
    );
  }
  if (
    !manifest.sourceBucket ||
    !manifest.destinationBucket ||
    !manifest.fileSchema ||
    !Array.isArray(manifest.files)
  ) {
    throw new ToolError(
      `${uri} lacks sourceBucket, destinationBucket, fileSchema or files: is it an S3 Inventory manifest?`,
    );
  }
  return manifest as InventoryManifest;
}

/** The columns of a manifest's `fileSchema`, trimmed. */
export function manifestColumns(manifest: InventoryManifest): string[] {
  return manifest.fileSchema.split(',').map((column) => column.trim());
}

/**
 * Inventory fields a backfill from the report needs: the notification carries the eTag and size
 * the worker keys rows on and validates with. `Size` and `ETag` are optional fields of an inventory
 * configuration; without them every row would be wrong, so such a report is refused up front.
 */
export const BACKFILL_INVENTORY_FIELDS = ['Bucket', 'Key', 'Size', 'ETag'] as const;

/**
 * Checks that a report has every field a use of it needs, before anything is sent.
 *
 * @throws {ToolError} naming the missing fields and how to add them
 */
export function requireInventoryFields(
  manifest: InventoryManifest,
  uri: string,
  fields: readonly string[] = BACKFILL_INVENTORY_FIELDS,
): void {
  const columns = manifestColumns(manifest);
  const missing = fields.filter((field) => !columns.includes(field));
  if (missing.length > 0) {
    throw new ToolError(
      `${uri} lacks the inventory field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: add ${missing.length > 1 ? 'them' : 'it'} to the inventory configuration's optional fields, wait for the next report, then backfill from it (or backfill from a listing: without --inventory)`,
    );
  }
}

/**
 * Whether a report lists every version (`IncludedObjectVersions: All`): only such reports carry
 * `IsLatest` and `IsDeleteMarker`.
 */
export function listsAllVersions(manifest: InventoryManifest): boolean {
  return manifestColumns(manifest).includes('IsLatest');
}

/**
 * The current objects of one inventory CSV line, by the manifest's columns: a delete marker, or a
 * noncurrent version (`IsLatest` false, in an inventory of all versions), is not current.
 */
export function inventoryRow(
  cells: readonly string[],
  columns: readonly string[],
): ListedObject | 'delete-marker' | 'not-current' {
  const cell = (name: string) => {
    const index = columns.indexOf(name);
    return index < 0 ? undefined : cells[index];
  };
  if (cell('IsDeleteMarker') === 'true') return 'delete-marker';
  if (cell('IsLatest') === 'false') return 'not-current';
  const versionId = cell('VersionId');
  const modified = cell('LastModifiedDate');
  return {
    // Inventory reports URL-encode keys.
    key: decodeS3EventKey(cell('Key') ?? ''),
    eTag: (cell('ETag') ?? '').replace(/"/g, ''),
    size: Number(cell('Size') ?? 0),
    lastModified: modified ? new Date(modified) : new Date(),
    ...(versionId && versionId !== 'null' && { versionId }),
  };
}

/**
 * An S3 Inventory report as a backfill source: each report file is a partition, read as a gzipped
 * CSV stream (a file may be gigabytes), a page every `pageSize` lines; a resume skips the lines
 * already enqueued. Only current versions, never delete markers.
 *
 * @param bucket - the bucket being backfilled: it must be the report's source bucket
 */
export function inventorySource(
  s3: S3Client,
  manifestUri: string,
  bucket: string,
  progress: BackfillProgress,
  pageSize: number,
): ObjectSource {
  let manifest: Promise<InventoryManifest> | undefined;
  const load = () => {
    manifest ??= (async () => {
      const { bucket: manifestBucket, key } = parseS3Uri(manifestUri);
      const answer = await s3.send(new GetObjectCommand({ Bucket: manifestBucket, Key: key }));
      const parsed = parseManifest((await answer.Body?.transformToString()) ?? '', manifestUri);
      if (parsed.sourceBucket !== bucket) {
        throw new UsageError(`${manifestUri} is the inventory of ${parsed.sourceBucket}, not of ${bucket}`);
      }
      requireInventoryFields(parsed, manifestUri);
      return parsed;
    })();
    return manifest;
  };
  return {
    partitions: async () => {
      const { files } = await load();
      // The report's gzipped bytes read, against all of them, say how far a backfill is.
      if (files.every((file) => typeof file.size === 'number' && file.size > 0)) {
        progress.bytesTotal = files.reduce((sum, file) => sum + (file.size ?? 0), 0);
        progress.bytesRead ??= 0;
      }
      return files.map((file) => file.key);
    },
    async *pages(file, after) {
      const loaded = await load();
      const { destinationBucket } = loaded;
      const columns = manifestColumns(loaded);
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: destinationBucket.replace(/^arn:aws[a-z-]*:s3:::/, ''), Key: file }),
      );
      progress.listCalls += 1;
      const lines = createInterface({
        input: (answer.Body as Readable).pipe(countingBytes(progress)).pipe(createGunzip()),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      const skip = Number(after ?? 0);
      let line = 0;
      let objects: ListedObject[] = [];
      let deleteMarkers = 0;
      for await (const text of lines) {
        line += 1;
        if (line <= skip || text.trim() === '') continue;
        const row = inventoryRow(parseCsv(text)[0] ?? [], columns);
        if (row === 'delete-marker') deleteMarkers += 1;
        else if (row !== 'not-current') objects.push(row);
        if (objects.length >= pageSize) {
          yield { objects, deleteMarkers, resumeAfter: String(line) } satisfies ListedPage;
          objects = [];
          deleteMarkers = 0;
        }
      }
      yield { objects, deleteMarkers, resumeAfter: String(line) } satisfies ListedPage;
    },
  };
}

/** Passes a report file through, adding its (gzipped) bytes to `progress.bytesRead` when it has a total. */
function countingBytes(progress: BackfillProgress): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (progress.bytesRead !== undefined) progress.bytesRead += chunk.length;
      done(null, chunk);
    },
  });
}
