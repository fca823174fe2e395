import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeXmlText } from '../tools/xml-text.js';
import { objectPathOf } from './s3-bridge.js';
import { escapeXml, s3ErrorReply } from './s3-error-reply.js';

// fauxqs 1.9 has no object tagging, and it routes `/bucket/key?tagging` by method alone:
// GetObjectTagging was answered with the object's bytes, PutObjectTagging overwrote the object with
// the tag set's XML (and the notification bridge announced a new upload), DeleteObjectTagging
// deleted the object. Tags are kept here instead, per object content, as S3 keeps them per version.

/** S3's most tags on one object. */
const MAX_TAGS = 10;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * The embedded S3's object tags: each object's tag set belongs to the content it was set on (its
 * eTag), so an upload over it starts without tags, as a new version does in S3.
 */
export class LocalObjectTags {
  readonly #sets = new Map<
    string,
    { readonly eTag: string; readonly tags: Readonly<Record<string, string>> }
  >();

  /** The tags of the object's content with `eTag` (none once other content replaced it). */
  get(bucket: string, key: string, eTag: string): Readonly<Record<string, string>> {
    const set = this.#sets.get(`${bucket}\n${key}`);
    return set?.eTag === eTag ? set.tags : {};
  }

  /** Replaces the tag set of the object's content with `eTag`. */
  set(bucket: string, key: string, eTag: string, tags: Readonly<Record<string, string>>): void {
    this.#sets.set(`${bucket}\n${key}`, { eTag, tags: { ...tags } });
  }

  /**
   * Adds one tag to the content's set, keeping the others, as GuardDuty tags a scanned object.
   * @returns false when the set already holds 10 other tags (S3 refuses an 11th)
   */
  add(bucket: string, key: string, eTag: string, name: string, value: string): boolean {
    const tags = { ...this.get(bucket, key, eTag) };
    if (!(name in tags) && Object.keys(tags).length >= MAX_TAGS) return false;
    tags[name] = value;
    this.set(bucket, key, eTag, tags);
    return true;
  }

  delete(bucket: string, key: string): void {
    this.#sets.delete(`${bucket}\n${key}`);
  }
}

/** A tag set as S3's XML (GetObjectTagging's answer). */
function tagSetXml(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags)
    .map(([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="${XMLNS}"><TagSet>${entries}</TagSet></Tagging>`;
}

/** The tags of a PutObjectTagging body. @throws {Error} for more than 10 or a repeated key */
export function parseTagSetXml(xml: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const match of xml.matchAll(
    /<Tag>\s*<Key>([\s\S]*?)<\/Key>\s*<Value>([\s\S]*?)<\/Value>\s*<\/Tag>/g,
  )) {
    const key = decodeXmlText(match[1] ?? '');
    if (key in tags) throw new Error('Cannot provide multiple Tags with the same key');
    tags[key] = decodeXmlText(match[2] ?? '');
  }
  if (Object.keys(tags).length > MAX_TAGS) throw new Error('Object tags cannot be greater than 10');
  return tags;
}

/** The tags of an `x-amz-tagging` header (a URL query string). */
function headerTags(header: unknown): Record<string, string> | undefined {
  if (typeof header !== 'string') return undefined;
  return Object.fromEntries(new URLSearchParams(header));
}

/** The bucket and key of a request on an object (not on a bucket). */
function objectOf(request: FastifyRequest): { bucket: string; key: string } | undefined {
  if (request.routeOptions.url !== '/:bucket/*') return undefined;
  const params = request.params as { bucket?: string; '*'?: string };
  return params.bucket && params['*'] ? { bucket: params.bucket, key: params['*'] } : undefined;
}

const stripQuotes = (eTag: string) => eTag.replace(/"/g, '');

/** A PutObject or CopyObject (not a part of a multipart upload, not a tagging call). */
function createsObject(request: FastifyRequest): boolean {
  if (request.method !== 'PUT') return false;
  const query = (request.query ?? {}) as Record<string, string | undefined>;
  return !('tagging' in query) && query.partNumber === undefined && query.uploadId === undefined;
}

/** The bucket and key an `x-amz-copy-source` names (`bucket/key`, URL-encoded, maybe `?versionId=`). */
function copySourceOf(header: string): { bucket: string; key: string } | undefined {
  let path: string;
  try {
    path = decodeURIComponent(header.replace(/^\//, '').split('?')[0] ?? '');
  } catch {
    return undefined; // malformed percent-encoding: the emulator answers the copy itself with an error
  }
  const slash = path.indexOf('/');
  return slash > 0 ? { bucket: path.slice(0, slash), key: path.slice(slash + 1) } : undefined;
}

/** The ETag in a CopyObject answer's XML. */
function copyResultETag(payload: unknown): string | undefined {
  const xml =
    typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
  const match = /<ETag>([^<]*)<\/ETag>/.exec(xml);
  return match?.[1] ? stripQuotes(decodeXmlText(match[1])) : undefined;
}

/**
 * Answers GetObjectTagging, PutObjectTagging and DeleteObjectTagging from `tags`, and keeps the
 * tags an upload sets (`x-amz-tagging`) or a copy takes from its source (`x-amz-tagging-directive`
 * COPY, S3's default). A version other than `null` is not found: the embedded S3 keeps none.
 */
export function installObjectTagging(app: FastifyInstance, tags: LocalObjectTags): void {
  // After the body is read (PutObjectTagging's XML), before fauxqs' own handler.
  app.addHook('preHandler', async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, string | undefined>;
    if (!('tagging' in query)) return;
    const object = objectOf(request);
    if (!object) return;
    const resource = `/${object.bucket}/${object.key}`;
    if (query.versionId !== undefined && query.versionId !== 'null') {
      return s3ErrorReply(reply, 404, 'NoSuchVersion', 'The specified version does not exist.', resource);
    }
    const head = await app.inject({ method: 'HEAD', url: objectPathOf(object.bucket, object.key) });
    if (head.statusCode !== 200) {
      return s3ErrorReply(reply, 404, 'NoSuchKey', 'The specified key does not exist.', resource);
    }
    const eTag = stripQuotes(String(head.headers.etag ?? ''));
    if (request.method === 'GET') {
      return reply
        .status(200)
        .header('content-type', 'application/xml')
        .send(tagSetXml(tags.get(object.bucket, object.key, eTag)));
    }
    if (request.method === 'PUT') {
      const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : String(request.body ?? '');
      try {
        tags.set(object.bucket, object.key, eTag, parseTagSetXml(body));
      } catch (error) {
        return s3ErrorReply(reply, 400, 'InvalidTag', (error as Error).message, resource);
      }
      return reply.status(200).send('');
    }
    if (request.method === 'DELETE') {
      tags.delete(object.bucket, object.key);
      return reply.status(204).send('');
    }
    return undefined;
  });
  // An upload's own tags, and a copy's: kept before the answer is sent, so a read right after
  // finds them. What needs a lookup (the copy source's tags) is read in `preHandler`; `onSend`
  // must finish synchronously (see `installS3NotificationBridge`).
  const tagsToKeep = new WeakMap<FastifyRequest, Readonly<Record<string, string>>>();
  app.addHook('preHandler', async (request) => {
    if (!createsObject(request)) return;
    const object = objectOf(request);
    if (!object) return;
    const source = request.headers['x-amz-copy-source'];
    const directive = String(request.headers['x-amz-tagging-directive'] ?? 'COPY').toUpperCase();
    if (typeof source === 'string' && directive === 'COPY') {
      const from = copySourceOf(source);
      if (!from) return;
      const head = await app.inject({ method: 'HEAD', url: objectPathOf(from.bucket, from.key) });
      tagsToKeep.set(request, tags.get(from.bucket, from.key, stripQuotes(String(head.headers.etag ?? ''))));
    } else {
      tagsToKeep.set(request, headerTags(request.headers['x-amz-tagging']) ?? {});
    }
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const kept = tagsToKeep.get(request);
    const object = objectOf(request);
    tagsToKeep.delete(request);
    if (kept && object && reply.statusCode === 200) {
      const eTag = request.headers['x-amz-copy-source']
        ? copyResultETag(payload)
        : stripQuotes(String(reply.getHeader('etag') ?? ''));
      if (eTag) tags.set(object.bucket, object.key, eTag, kept);
    }
    done(null, payload);
  });
}
