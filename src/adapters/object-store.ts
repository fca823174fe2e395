import { CopyObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

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
  readonly metadata: Readonly<Record<string, string>>;
}

/** A copy of one object's content, made only if the source still has the expected eTag. */
export interface CopyRequest {
  readonly source: ObjectRef;
  readonly ifMatchETag: string;
  readonly destinationBucket: string;
  readonly destinationKey: string;
}

/** Reads and copies objects: the worker's only access to S3. */
export interface ObjectStore {
  /** @returns the object's metadata, or `undefined` when the object (version) no longer exists */
  head(ref: ObjectRef): Promise<ObjectHead | undefined>;
  /** @returns `source-changed` when the source is gone or no longer has the expected eTag */
  copy(request: CopyRequest): Promise<'copied' | 'source-changed'>;
}

const stripQuotes = (eTag: string | undefined): string | undefined => eTag?.replace(/^"|"$/g, '');

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

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
        metadata: head.Metadata ?? {},
      };
    } catch (error) {
      // 404: no such key or version; 405: the version is a delete marker.
      const status = httpStatusOf(error);
      if (status === 404 || status === 405) return undefined;
      throw error;
    }
  }

  async copy(request: CopyRequest): Promise<'copied' | 'source-changed'> {
    const { source } = request;
    const versionSuffix = source.versionId ? `?versionId=${encodeURIComponent(source.versionId)}` : '';
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: request.destinationBucket,
          Key: request.destinationKey,
          CopySource: `${source.bucket}/${encodeURIComponent(source.key)}${versionSuffix}`,
          CopySourceIfMatch: `"${request.ifMatchETag}"`,
          MetadataDirective: 'COPY',
          // Tags are not copied: copying them would need s3:GetObjectTagging and s3:PutObjectTagging too.
          TaggingDirective: 'REPLACE',
        }),
      );
      return 'copied';
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 404) return 'source-changed';
      throw error;
    }
  }
}
