import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { forEachLimited } from '../concurrency.js';
import { copyParts, MAX_SINGLE_COPY_BYTES } from '../core/copy-plan.js';

/** One object, or one version of it. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** What HeadObject tells about an object. */
export interface ObjectHead {
  /** Without quotes. */
  readonly eTag?: string;
  readonly size?: number;
  readonly contentType?: string;
  /** The version HeadObject answered for, in a versioned bucket (never `"null"`). */
  readonly versionId?: string;
  /** ISO 8601. */
  readonly lastModified?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A copy of an object's **current** content, made only if that content still has the expected
 * eTag. Copying the current version (never a named older one) is what keeps the destination at
 * the source's current content whatever order events arrive in: a late event for an old version
 * finds another eTag and copies nothing.
 */
export interface CopyRequest {
  readonly source: { readonly bucket: string; readonly key: string };
  readonly ifMatchETag: string;
  /** Bytes, from the event or HeadObject; above 5 GiB the copy is multipart. */
  readonly size?: number;
  readonly destinationBucket: string;
  readonly destinationKey: string;
  /** Epoch milliseconds by which the copy must be done; past it the copy is abandoned. @default none */
  readonly deadline?: number;
}

/**
 * How a copy ended. `source-changed`: the source is gone or holds other content (its own event
 * will bring the copy up to date). `archived`: the source is in an archive storage class
 * (S3 Glacier Flexible Retrieval, Deep Archive, archive tiers) and must be restored first.
 * `out-of-time`: the copy could not finish before the deadline and was abandoned.
 */
export type CopyResult = 'copied' | 'source-changed' | 'archived' | 'out-of-time';

/** The first bytes of one content, or why they could not be read. */
export type ReadStart =
  | { readonly bytes: Uint8Array }
  | { readonly unavailable: 'changed' | 'gone' | 'archived' };

/** Reads and copies objects: the worker's only access to S3. */
export interface ObjectStore {
  /** @returns the object's metadata, or `undefined` when the object (version) no longer exists */
  head(ref: ObjectRef): Promise<ObjectHead | undefined>;
  /**
   * Reads the first `length` bytes of exactly one content: the version asked for, or the current
   * content only while it still has `ifMatchETag` (a newer upload is never read in its place).
   */
  readStart(ref: ObjectRef & { readonly ifMatchETag?: string }, length: number): Promise<ReadStart>;
  /** Copies the current content if it still has the expected eTag. Other failures throw. */
  copy(request: CopyRequest): Promise<CopyResult>;
  /**
   * The tags (GetObjectTagging) of exactly one content: the version asked for, or the current
   * content while it still has `ifMatchETag` (asked first with HeadObject: tagging has no If-Match).
   * @returns `'gone'` when that version, or that content, is no longer there
   */
  tagsOf(
    ref: ObjectRef & { readonly ifMatchETag?: string },
  ): Promise<Readonly<Record<string, string>> | 'gone'>;
}

const stripQuotes = (eTag: string | undefined): string | undefined => eTag?.replace(/^"|"$/g, '');

interface AwsErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as AwsErrorShape | null)?.$metadata?.httpStatusCode;
}

function errorCodeOf(error: unknown): string | undefined {
  const shape = error as AwsErrorShape | null;
  return shape?.Code ?? shape?.name;
}

/**
 * The copy answers that mean "the source changed": only these; `NoSuchBucket` and the rest are
 * failures. `NotFound` is HeadObject's 404 (a HEAD has no error body), asked before a multipart copy.
 */
const SOURCE_CHANGED_CODES = new Set(['PreconditionFailed', 'NoSuchKey', 'NoSuchVersion', 'NotFound']);
/** The copy answers that mean the source must be restored from an archive first. */
const ARCHIVED_CODES = new Set(['InvalidObjectState', 'ObjectNotInActiveTierError']);

/** Sorts a failed copy's error into a {@link CopyResult}, or `undefined` when it must fail the record. */
export function classifyCopyError(error: unknown): CopyResult | undefined {
  const code = errorCodeOf(error);
  if (code !== undefined && SOURCE_CHANGED_CODES.has(code)) return 'source-changed';
  if (httpStatusOf(error) === 412) return 'source-changed';
  if (code !== undefined && ARCHIVED_CODES.has(code)) return 'archived';
  return undefined;
}

/** Thrown inside a copy when its deadline passes. */
class DeadlinePassed extends Error {
  constructor() {
    super('copy deadline passed');
    this.name = 'DeadlinePassed';
  }
}

/**
 * Settles with `request`, or rejects with the signal's reason as soon as it aborts: the deadline
 * holds even where the HTTP handler ignores `abortSignal` (it is passed on too, to free the socket).
 */
function beforeAbort<T>(signal: AbortSignal, request: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** How many part copies run at once in a multipart copy. */
const PART_COPY_CONCURRENCY = 8;

/**
 * {@link ObjectStore} on the AWS SDK's S3 client. A missing object answers 404 only where
 * the caller may list the bucket (`s3:ListBucket`); without it S3 says 403, which is
 * treated as an error, never as "gone".
 */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async head(ref: ObjectRef): Promise<ObjectHead | undefined> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
      );
      return {
        ...(head.ETag !== undefined && { eTag: stripQuotes(head.ETag) }),
        ...(head.ContentLength !== undefined && { size: head.ContentLength }),
        ...(head.ContentType !== undefined && { contentType: head.ContentType }),
        ...(head.VersionId !== undefined && head.VersionId !== 'null' && { versionId: head.VersionId }),
        ...(head.LastModified !== undefined && { lastModified: head.LastModified.toISOString() }),
        metadata: head.Metadata ?? {},
      };
    } catch (error) {
      // 404: no such key or version; 405: the version is a delete marker.
      const status = httpStatusOf(error);
      if (status === 404 || status === 405) return undefined;
      throw error;
    }
  }

  async readStart(ref: ObjectRef & { readonly ifMatchETag?: string }, length: number): Promise<ReadStart> {
    try {
      const answer = await this.s3.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          Range: `bytes=0-${length - 1}`,
          ...(ref.versionId !== undefined
            ? { VersionId: ref.versionId }
            : ref.ifMatchETag !== undefined && { IfMatch: `"${ref.ifMatchETag}"` }),
        }),
      );
      const bytes = answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array();
      return { bytes: bytes.subarray(0, length) };
    } catch (error) {
      const status = httpStatusOf(error);
      const code = errorCodeOf(error);
      // An empty object has no byte 0: nothing to detect.
      if (status === 416 || code === 'InvalidRange') return { bytes: new Uint8Array() };
      if (status === 412 || code === 'PreconditionFailed') return { unavailable: 'changed' };
      if (status === 404 || status === 405) return { unavailable: 'gone' };
      if (code !== undefined && ARCHIVED_CODES.has(code)) return { unavailable: 'archived' };
      throw error;
    }
  }

  async tagsOf(
    ref: ObjectRef & { readonly ifMatchETag?: string },
  ): Promise<Readonly<Record<string, string>> | 'gone'> {
    try {
      if (ref.versionId === undefined && ref.ifMatchETag !== undefined) {
        await this.s3.send(
          new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, IfMatch: `"${ref.ifMatchETag}"` }),
        );
      }
      const answer = await this.s3.send(
        new GetObjectTaggingCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ...(ref.versionId !== undefined && { VersionId: ref.versionId }),
        }),
      );
      return Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 404 || status === 405 || status === 412) return 'gone';
      throw error;
    }
  }

  async copy(request: CopyRequest): Promise<CopyResult> {
    const abort = new AbortController();
    const timer =
      request.deadline === undefined
        ? undefined
        : setTimeout(() => abort.abort(new DeadlinePassed()), Math.max(0, request.deadline - Date.now()));
    try {
      if (request.size !== undefined && request.size > MAX_SINGLE_COPY_BYTES) {
        await this.#multipartCopy(request, request.size, abort.signal);
      } else {
        await beforeAbort(
          abort.signal,
          this.s3.send(
            new CopyObjectCommand({
              Bucket: request.destinationBucket,
              Key: request.destinationKey,
              CopySource: copySourceOf(request),
              CopySourceIfMatch: `"${request.ifMatchETag}"`,
              MetadataDirective: 'COPY',
              // Tags are not copied: copying them would need s3:GetObjectTagging and s3:PutObjectTagging too.
              TaggingDirective: 'REPLACE',
            }),
            { abortSignal: abort.signal },
          ),
        );
      }
      return 'copied';
    } catch (error) {
      if (abort.signal.aborted && abort.signal.reason instanceof DeadlinePassed) return 'out-of-time';
      const result = classifyCopyError(error);
      if (result !== undefined) return result;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * CopyObject refuses sources over 5 GiB: those are copied part by part (UploadPartCopy, several
   * at once, each with the same If-Match). CreateMultipartUpload copies nothing from the source, so
   * it is given what CopyObject's `MetadataDirective: COPY` keeps: content type, encoding,
   * disposition, language, cache control, expiry and user metadata, read by one HeadObject of the
   * same content. Tags are copied by neither path, and both take the destination bucket's default
   * encryption. An upload left open by an earlier attempt at this key is aborted before a new one
   * is opened; on any failure the upload is aborted once the part copies in flight have settled,
   * and again while ListParts still shows parts (S3 may finish a part it had started).
   */
  async #multipartCopy(request: CopyRequest, size: number, signal: AbortSignal): Promise<void> {
    const source = await beforeAbort(
      signal,
      this.s3.send(
        new HeadObjectCommand({
          Bucket: request.source.bucket,
          Key: request.source.key,
          IfMatch: `"${request.ifMatchETag}"`,
        }),
        { abortSignal: signal },
      ),
    );
    await this.#abortLeftUploads(request.destinationBucket, request.destinationKey, signal);
    const created = await beforeAbort(
      signal,
      this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: request.destinationBucket,
          Key: request.destinationKey,
          ...(source.ContentType !== undefined && { ContentType: source.ContentType }),
          ...(source.ContentEncoding !== undefined && { ContentEncoding: source.ContentEncoding }),
          ...(source.ContentDisposition !== undefined && { ContentDisposition: source.ContentDisposition }),
          ...(source.ContentLanguage !== undefined && { ContentLanguage: source.ContentLanguage }),
          ...(source.CacheControl !== undefined && { CacheControl: source.CacheControl }),
          ...(source.Expires !== undefined && { Expires: source.Expires }),
          ...(source.Metadata !== undefined && { Metadata: source.Metadata }),
        }),
        { abortSignal: signal },
      ),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    const inFlight = new Set<Promise<unknown>>();
    try {
      const ranges = copyParts(size);
      const eTags: string[] = new Array(ranges.length);
      // After a failed part no other starts.
      await forEachLimited(ranges, PART_COPY_CONCURRENCY, async (part, _done, index) => {
        const sent = this.s3.send(
          new UploadPartCopyCommand({
            Bucket: request.destinationBucket,
            Key: request.destinationKey,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: copySourceOf(request),
            CopySourceIfMatch: `"${request.ifMatchETag}"`,
            CopySourceRange: `bytes=${part.first}-${part.last}`,
          }),
          { abortSignal: signal },
        );
        inFlight.add(sent);
        void sent.then(
          () => inFlight.delete(sent),
          () => inFlight.delete(sent),
        );
        const answer = await beforeAbort(signal, sent);
        eTags[index] = answer.CopyPartResult?.ETag ?? '';
      });
      await beforeAbort(
        signal,
        this.s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: request.destinationBucket,
            Key: request.destinationKey,
            UploadId: uploadId,
            MultipartUpload: { Parts: eTags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
          }),
          { abortSignal: signal },
        ),
      );
    } catch (error) {
      // A part S3 is still copying may complete after an abort: let those in flight settle first
      // (bounded: the deadline's reserve is for writing the rows).
      await settledWithin([...inFlight], PARTS_SETTLE_MS);
      await this.#abortUpload(request.destinationBucket, request.destinationKey, uploadId);
      throw error;
    }
  }

  /**
   * Aborts an upload until ListParts shows nothing left of it. Not under the deadline's signal:
   * the abort must be sent even when time ran out. An abort that fails throws (the record is
   * retried, and the retry aborts what is left before opening another; the destination's
   * lifecycle rule is the last resort).
   */
  async #abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ABORTS; attempt += 1) {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      try {
        const { Parts = [] } = await this.s3.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
        );
        if (Parts.length === 0) return;
      } catch (error) {
        if (errorCodeOf(error) === 'NoSuchUpload' || httpStatusOf(error) === 404) return;
        throw error;
      }
    }
  }

  /** Aborts the uploads an earlier attempt left open at exactly this key: never two open at once. */
  async #abortLeftUploads(bucket: string, key: string, signal: AbortSignal): Promise<void> {
    const { Uploads = [] } = await beforeAbort(
      signal,
      this.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }), { abortSignal: signal }),
    );
    for (const upload of Uploads) {
      if (upload.Key === key && upload.UploadId) await this.#abortUpload(bucket, key, upload.UploadId);
    }
  }
}

/** How long a failed multipart copy waits for part copies in flight before aborting. */
const PARTS_SETTLE_MS = 500;
/** Aborts of one upload while ListParts still shows parts. */
const MAX_ABORTS = 3;

/** Waits until every promise settles, or `ms` pass. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** `bucket/url-encoded-key`: the current version, never a named one (see {@link CopyRequest}). */
function copySourceOf(request: CopyRequest): string {
  return `${request.source.bucket}/${encodeURIComponent(request.source.key)}`;
}
