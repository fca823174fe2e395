import { S3ServiceException } from '@aws-sdk/client-s3';

/** Content of one stored object version. */
export interface FakeObject {
  eTag: string;
  size: number;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  /** `GLACIER`, `DEEP_ARCHIVE`: a copy answers InvalidObjectState. @default STANDARD */
  storageClass?: string;
  /** The content's first bytes, for ranged reads. @default none: a read returns no bytes */
  body?: Uint8Array;
  /** Object tags (this version's; a new upload starts without). */
  tags?: Record<string, string>;
}

/** One entry of a key's version stack: content, or a delete marker. */
export interface FakeVersion {
  readonly versionId: string;
  readonly object?: FakeObject;
  readonly deleteMarker: boolean;
}

/** S3's bucket versioning states. */
export type VersioningState = 'Unversioned' | 'Enabled' | 'Suspended';

/** S3's limits that the worker must respect and the embedded S3 does not enforce. */
export const MAX_KEY_BYTES = 1024;
export const MAX_COPY_SOURCE_BYTES = 5 * 1024 ** 3;

/** An error shaped as the SDK raises it for an S3 error response. */
export function s3Error(name: string, status: number, message = name): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}

const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE']);

interface MultipartUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  /** What CreateMultipartUpload was given: the object's headers come from here, not from the source. */
  readonly headers: Omit<FakeObject, 'eTag' | 'size' | 'storageClass'>;
  readonly parts: Map<number, { object: FakeObject; first: number; last: number }>;
}

/** The object headers CopyObject keeps with `MetadataDirective: COPY`, and a multipart upload is given. */
type ObjectHeaders = {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  Metadata?: Record<string, string>;
};

const headersOf = (input: ObjectHeaders): MultipartUpload['headers'] => ({
  ...(input.ContentType !== undefined && { contentType: input.ContentType }),
  ...(input.ContentEncoding !== undefined && { contentEncoding: input.ContentEncoding }),
  ...(input.ContentDisposition !== undefined && { contentDisposition: input.ContentDisposition }),
  ...(input.ContentLanguage !== undefined && { contentLanguage: input.ContentLanguage }),
  ...(input.CacheControl !== undefined && { cacheControl: input.CacheControl }),
  ...(input.Metadata !== undefined && Object.keys(input.Metadata).length > 0 && { metadata: input.Metadata }),
});

/**
 * An in-memory S3 with versioning as AWS implements it: per-bucket state (never versioned,
 * enabled, suspended), a version stack per key whose newest entry is current, delete markers,
 * `null` versions, HeadObject/CopyObject by version, If-Match, archive storage classes,
 * CopyObject's 5 GiB and the key's 1,024-byte limits, multipart copies. The embedded S3 (fauxqs)
 * has no versioning, so this is where versioned behaviour is proven.
 */
export class InMemoryS3 {
  readonly versions = new Map<string, FakeVersion[]>();
  readonly versioning = new Map<string, VersioningState>();
  /** Destination content by `bucket/key`: the last copy written there. */
  readonly copies = new Map<string, FakeObject>();
  /** Buckets that answer NoSuchBucket (a missing or mistyped destination). */
  readonly missingBuckets = new Set<string>();
  readonly multipartUploads = new Map<string, MultipartUpload>();
  readonly abortedUploads: string[] = [];
  /** The most multipart uploads open at once for one destination key. */
  mostOpenForOneKey = 0;
  #nextVersion = 1;
  #nextUpload = 1;

  setVersioning(bucket: string, state: Exclude<VersioningState, 'Unversioned'>): void {
    this.versioning.set(bucket, state);
  }

  /** PutObject. @returns the new version's id (`null` unless versioning is enabled) */
  putObject(bucket: string, key: string, object: FakeObject): string {
    const state = this.versioning.get(bucket) ?? 'Unversioned';
    const stack = this.#stack(bucket, key).filter((v) => state === 'Enabled' || v.versionId !== 'null');
    const versionId = state === 'Enabled' ? `v${this.#nextVersion++}` : 'null';
    stack.push({ versionId, object: { ...object }, deleteMarker: false });
    this.versions.set(`${bucket}/${key}`, stack);
    return versionId;
  }

  /**
   * DeleteObject. Without a version: a delete marker when versioning is on (a `null` one when
   * suspended), the object itself when never versioned. With a version: that version or marker,
   * permanently (removing the newest marker restores the version below it).
   */
  deleteObject(
    bucket: string,
    key: string,
    versionId?: string,
  ): { versionId?: string; deleteMarker: boolean } {
    const state = this.versioning.get(bucket) ?? 'Unversioned';
    const stack = this.#stack(bucket, key);
    if (versionId !== undefined) {
      const removed = stack.find((v) => v.versionId === versionId);
      this.versions.set(
        `${bucket}/${key}`,
        stack.filter((v) => v !== removed),
      );
      return { versionId, deleteMarker: removed?.deleteMarker ?? false };
    }
    if (state === 'Unversioned') {
      this.versions.delete(`${bucket}/${key}`);
      return { deleteMarker: false };
    }
    const markerId = state === 'Enabled' ? `v${this.#nextVersion++}` : 'null';
    const kept = stack.filter((v) => state === 'Enabled' || v.versionId !== 'null');
    kept.push({ versionId: markerId, deleteMarker: true });
    this.versions.set(`${bucket}/${key}`, kept);
    return { versionId: markerId, deleteMarker: true };
  }

  /** The current version's content, or `undefined` when there is none or a delete marker is current. */
  current(bucket: string, key: string): FakeObject | undefined {
    const newest = this.#stack(bucket, key).at(-1);
    return newest && !newest.deleteMarker ? newest.object : undefined;
  }

  headObject(input: { Bucket?: string; Key?: string; VersionId?: string; IfMatch?: string }) {
    const bucket = String(input.Bucket);
    const stack = this.#stack(bucket, String(input.Key));
    const entry =
      input.VersionId === undefined ? stack.at(-1) : stack.find((v) => v.versionId === input.VersionId);
    if (!entry) throw s3Error('NotFound', 404);
    // HEAD of a delete marker: 404 when it is current, 405 when asked for by version.
    if (entry.deleteMarker)
      throw s3Error(
        input.VersionId === undefined ? 'NotFound' : 'MethodNotAllowed',
        input.VersionId === undefined ? 404 : 405,
      );
    const object = entry.object as FakeObject;
    if (input.IfMatch !== undefined && input.IfMatch !== `"${object.eTag}"`)
      throw s3Error('PreconditionFailed', 412);
    return {
      ETag: `"${object.eTag}"`,
      ContentLength: object.size,
      ContentType: object.contentType,
      ContentEncoding: object.contentEncoding,
      ContentDisposition: object.contentDisposition,
      ContentLanguage: object.contentLanguage,
      CacheControl: object.cacheControl,
      Metadata: object.metadata ?? {},
      StorageClass: object.storageClass,
      ...(this.versioning.has(bucket) && { VersionId: entry.versionId }),
    };
  }

  /**
   * ListObjectVersions as S3 pages it: keys in binary (UTF-8) order, each key's versions and delete
   * markers newest first, `MaxKeys` entries of both kinds together per page, and the next page
   * starting after `KeyMarker` (all of that key's entries when no `VersionIdMarker` is given) or
   * after that key's `VersionIdMarker`.
   */
  listObjectVersions(input: {
    Bucket?: string;
    Prefix?: string;
    KeyMarker?: string;
    VersionIdMarker?: string;
    MaxKeys?: number;
  }) {
    const bucketPath = `${String(input.Bucket)}/`;
    const utf8 = (text: string) => Buffer.from(text, 'utf8');
    const keys = [...this.versions.keys()]
      .filter((path) => path.startsWith(bucketPath))
      .map((path) => path.slice(bucketPath.length))
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
    const entries = keys.flatMap((key) =>
      this.#stack(String(input.Bucket), key)
        .map((version, index, stack) => ({ key, version, isLatest: index === stack.length - 1 }))
        .reverse(),
    );
    const marker = input.KeyMarker;
    const start =
      marker === undefined || marker === ''
        ? 0
        : input.VersionIdMarker
          ? entries.findIndex((e) => e.key === marker && e.version.versionId === input.VersionIdMarker) + 1
          : entries.filter((e) => Buffer.compare(utf8(e.key), utf8(marker)) <= 0).length;
    const maxKeys = input.MaxKeys ?? 1000;
    const page = entries.slice(start, start + maxKeys);
    const last = page.at(-1);
    const truncated = start + maxKeys < entries.length;
    return {
      Versions: page
        .filter((e) => !e.version.deleteMarker)
        .map((e) => ({
          Key: e.key,
          VersionId: e.version.versionId,
          IsLatest: e.isLatest,
          ETag: `"${e.version.object?.eTag}"`,
          Size: e.version.object?.size,
        })),
      DeleteMarkers: page
        .filter((e) => e.version.deleteMarker)
        .map((e) => ({ Key: e.key, VersionId: e.version.versionId, IsLatest: e.isLatest })),
      IsTruncated: truncated,
      ...(truncated && last && { NextKeyMarker: last.key, NextVersionIdMarker: last.version.versionId }),
    };
  }

  /** GetObjectTagging: the tags of the version asked for, or of the current content. */
  getObjectTagging(input: { Bucket?: string; Key?: string; VersionId?: string }) {
    return {
      TagSet: Object.entries(this.#taggedVersion(input).tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      ...(input.VersionId !== undefined && { VersionId: input.VersionId }),
    };
  }

  /** PutObjectTagging: replaces the version's tag set (at most 10, as S3 allows). */
  putObjectTagging(input: {
    Bucket?: string;
    Key?: string;
    VersionId?: string;
    Tagging?: { TagSet?: { Key?: string; Value?: string }[] };
  }) {
    const tagSet = input.Tagging?.TagSet ?? [];
    if (tagSet.length > 10) throw s3Error('BadRequest', 400, 'Object tags cannot be greater than 10');
    this.#taggedVersion(input).tags = Object.fromEntries(
      tagSet.map((tag) => [tag.Key ?? '', tag.Value ?? '']),
    );
    return {};
  }

  #taggedVersion(input: { Bucket?: string; Key?: string; VersionId?: string }): FakeObject {
    const stack = this.#stack(String(input.Bucket), String(input.Key));
    const entry =
      input.VersionId === undefined ? stack.at(-1) : stack.find((v) => v.versionId === input.VersionId);
    if (!entry) throw s3Error(input.VersionId === undefined ? 'NoSuchKey' : 'NoSuchVersion', 404);
    // A delete marker holds no tags: S3 answers 405 MethodNotAllowed whether it is asked for by its
    // version or is the current version (GetObject would answer 404 for the latter; tagging does not).
    if (entry.deleteMarker) throw s3Error('MethodNotAllowed', 405);
    return entry.object as FakeObject;
  }

  /**
   * GetObject as S3 answers it, with `Range: bytes=A-B`, a version and If-Match; an archived object
   * answers InvalidObjectState (403), a range on an empty body 416.
   */
  getObject(input: { Bucket?: string; Key?: string; VersionId?: string; IfMatch?: string; Range?: string }) {
    const head = this.headObject(input);
    const stack = this.#stack(String(input.Bucket), String(input.Key));
    const entry =
      input.VersionId === undefined ? stack.at(-1) : stack.find((v) => v.versionId === input.VersionId);
    const object = entry?.object as FakeObject;
    if (object.storageClass === 'GLACIER' || object.storageClass === 'DEEP_ARCHIVE')
      throw s3Error('InvalidObjectState', 403);
    const body = object.body ?? new Uint8Array();
    const [, first = '0', last] = /^bytes=(\d+)-(\d*)$/.exec(String(input.Range ?? 'bytes=0-')) ?? [];
    // A range that starts at or past the end is unsatisfiable (S3 and moto answer 416 InvalidRange).
    if (input.Range !== undefined && Number(first) >= body.length) throw s3Error('InvalidRange', 416);
    const slice = body.subarray(
      Number(first),
      last === undefined || last === '' ? undefined : Number(last) + 1,
    );
    return { ...head, ContentLength: slice.length, Body: { transformToByteArray: async () => slice } };
  }

  copyObject(input: { Bucket?: string; Key?: string; CopySource?: string; CopySourceIfMatch?: string }) {
    const object = this.#copySource(input.CopySource, input.CopySourceIfMatch);
    this.#checkDestination(input.Bucket, input.Key);
    if (object.size > MAX_COPY_SOURCE_BYTES) {
      throw s3Error(
        'InvalidRequest',
        400,
        'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120',
      );
    }
    this.copies.set(`${input.Bucket}/${input.Key}`, { ...object });
    return { CopyObjectResult: { ETag: `"${object.eTag}"` } };
  }

  /** As S3 does: the new object's headers are the ones given here, and nothing is read from the source. */
  createMultipartUpload(input: { Bucket?: string; Key?: string } & ObjectHeaders) {
    this.#checkDestination(input.Bucket, input.Key);
    const uploadId = `upload-${this.#nextUpload++}`;
    this.multipartUploads.set(uploadId, {
      uploadId,
      bucket: String(input.Bucket),
      key: String(input.Key),
      headers: headersOf(input),
      parts: new Map(),
    });
    const open = [...this.multipartUploads.values()].filter(
      (upload) => upload.bucket === input.Bucket && upload.key === input.Key,
    ).length;
    this.mostOpenForOneKey = Math.max(this.mostOpenForOneKey, open);
    return { UploadId: uploadId };
  }

  listMultipartUploads(input: { Bucket?: string; Prefix?: string }) {
    const uploads = [...this.multipartUploads.values()].filter(
      (upload) => upload.bucket === input.Bucket && upload.key.startsWith(String(input.Prefix ?? '')),
    );
    return { Uploads: uploads.map((upload) => ({ Key: upload.key, UploadId: upload.uploadId })) };
  }

  listParts(input: { UploadId?: string }) {
    const upload = this.multipartUploads.get(String(input.UploadId));
    if (!upload) throw s3Error('NoSuchUpload', 404);
    return { Parts: [...upload.parts.keys()].map((PartNumber) => ({ PartNumber })) };
  }

  uploadPartCopy(input: {
    UploadId?: string;
    PartNumber?: number;
    CopySource?: string;
    CopySourceIfMatch?: string;
    CopySourceRange?: string;
  }) {
    const upload = this.multipartUploads.get(String(input.UploadId));
    if (!upload) throw s3Error('NoSuchUpload', 404);
    const object = this.#copySource(input.CopySource, input.CopySourceIfMatch);
    return this.#storePart(upload, input, object);
  }

  /**
   * A part copy that S3 had started before the upload was aborted: as AWS warns, it may still
   * complete, leaving a part stored (and billed) under the aborted upload until it is aborted again.
   */
  uploadPartCopyStartedBefore(
    upload: MultipartUpload,
    input: { PartNumber?: number; CopySource?: string; CopySourceIfMatch?: string; CopySourceRange?: string },
  ) {
    if (!this.multipartUploads.has(upload.uploadId)) this.multipartUploads.set(upload.uploadId, upload);
    return this.#storePart(upload, input, this.#copySource(input.CopySource, input.CopySourceIfMatch));
  }

  #storePart(
    upload: MultipartUpload,
    input: { PartNumber?: number; CopySourceRange?: string },
    object: FakeObject,
  ) {
    const [first, last] = (/^bytes=(\d+)-(\d+)$/.exec(String(input.CopySourceRange)) ?? [])
      .slice(1)
      .map(Number);
    if (
      first === undefined ||
      last === undefined ||
      last >= object.size ||
      last - first + 1 > MAX_COPY_SOURCE_BYTES
    ) {
      throw s3Error('InvalidArgument', 400, `bad CopySourceRange ${input.CopySourceRange}`);
    }
    upload.parts.set(Number(input.PartNumber), { object, first, last });
    return { CopyPartResult: { ETag: `"part-${input.PartNumber}"` } };
  }

  completeMultipartUpload(input: {
    UploadId?: string;
    MultipartUpload?: { Parts?: { PartNumber?: number }[] };
  }) {
    const upload = this.multipartUploads.get(String(input.UploadId));
    if (!upload) throw s3Error('NoSuchUpload', 404);
    const numbers = (input.MultipartUpload?.Parts ?? []).map((part) => Number(part.PartNumber));
    const parts = numbers.map((n) => upload.parts.get(n));
    if (parts.some((part) => !part)) throw s3Error('InvalidPart', 400);
    const first = parts[0]?.object as FakeObject;
    const covered = parts.reduce((sum, part) => sum + ((part?.last ?? 0) - (part?.first ?? 0) + 1), 0);
    if (covered !== first.size)
      throw s3Error('InvalidPart', 400, `parts cover ${covered} of ${first.size} bytes`);
    // The content is the parts'; every header is the one CreateMultipartUpload was given.
    this.copies.set(`${upload.bucket}/${upload.key}`, {
      eTag: first.eTag,
      size: first.size,
      ...upload.headers,
    });
    this.multipartUploads.delete(String(input.UploadId));
    return {};
  }

  abortMultipartUpload(input: { UploadId?: string }) {
    this.multipartUploads.delete(String(input.UploadId));
    this.abortedUploads.push(String(input.UploadId));
    return {};
  }

  clear(): void {
    for (const map of [this.versions, this.versioning, this.copies, this.multipartUploads]) map.clear();
    this.missingBuckets.clear();
    this.abortedUploads.length = 0;
    this.mostOpenForOneKey = 0;
  }

  #stack(bucket: string, key: string): FakeVersion[] {
    return [...(this.versions.get(`${bucket}/${key}`) ?? [])];
  }

  #checkDestination(bucket: string | undefined, key: string | undefined): void {
    if (this.missingBuckets.has(String(bucket)))
      throw s3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    if (Buffer.byteLength(String(key), 'utf8') > MAX_KEY_BYTES) {
      throw s3Error('KeyTooLongError', 400, 'Your key is too long');
    }
  }

  /** The object a copy reads: `bucket/encoded-key[?versionId=V]`, checked against If-Match. */
  #copySource(copySource: string | undefined, ifMatch: string | undefined): FakeObject {
    const [path = '', query = ''] = String(copySource).split('?');
    const slash = path.indexOf('/');
    const bucket = path.slice(0, slash);
    const key = decodeURIComponent(path.slice(slash + 1));
    const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
    const stack = this.#stack(bucket, key);
    const entry = versionId === undefined ? stack.at(-1) : stack.find((v) => v.versionId === versionId);
    if (!entry || entry.deleteMarker)
      throw s3Error(versionId === undefined ? 'NoSuchKey' : 'NoSuchVersion', 404);
    const object = entry.object as FakeObject;
    if (ifMatch !== undefined && ifMatch !== `"${object.eTag}"`) throw s3Error('PreconditionFailed', 412);
    if (object.storageClass && ARCHIVED.has(object.storageClass)) {
      throw s3Error(
        'InvalidObjectState',
        403,
        "Operation is not valid for the source object's storage class",
      );
    }
    return object;
  }
}
