import type { FastifyInstance, FastifyRequest } from 'fastify';
import { s3ErrorReply } from './s3-error-reply.js';

// fauxqs 1.9 keeps no object versions, and it routes every request on `/bucket` by method alone:
// GetBucketVersioning (`GET /bucket?versioning`) was answered with the bucket's listing (up to
// 1,000 keys, for a client to parse and find no Status in), and PutBucketVersioning
// (`PUT /bucket?versioning`) created the bucket and answered 200 while versioning nothing.

/** S3's answer to GetBucketVersioning for a bucket whose versioning was never enabled. */
const NEVER_VERSIONED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>';

/** Which bucket a request names, when it is a request on the bucket itself (not on a key). */
function bucketOf(request: FastifyRequest): string | undefined {
  const route = request.routeOptions.url;
  const params = request.params as { bucket?: string; '*'?: string } | undefined;
  if (route === '/:bucket' || (route === '/:bucket/*' && !params?.['*'])) return params?.bucket;
  return undefined;
}

/**
 * Answers the bucket versioning calls of the embedded S3 as S3 answers them for a bucket that was
 * never versioned: GetBucketVersioning with an empty `VersioningConfiguration` (no Status), or
 * NoSuchBucket; PutBucketVersioning with `501 NotImplemented` and the reason, since the embedded
 * S3 cannot keep versions (the deployed stack's buckets are versioned).
 */
export function installBucketVersioning(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'PUT') return;
    const query = request.query as Record<string, unknown> | undefined;
    if (!query || !('versioning' in query)) return;
    const bucket = bucketOf(request);
    if (bucket === undefined) return;
    if (request.method === 'PUT') {
      return s3ErrorReply(
        reply,
        501,
        'NotImplemented',
        'The embedded S3 (fauxqs) keeps no object versions, so bucket versioning cannot be enabled locally; the deployed stack versions its buckets.',
        `/${bucket}`,
      );
    }
    const head = await app.inject({ method: 'HEAD', url: `/${encodeURIComponent(bucket)}` });
    if (head.statusCode === 404) {
      return s3ErrorReply(reply, 404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
    }
    return reply.status(200).header('content-type', 'application/xml').send(NEVER_VERSIONED);
  });
}
