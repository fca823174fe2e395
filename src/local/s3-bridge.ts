import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildS3Notification, type S3Change } from '../core/s3-notification.js';
import { logger } from '../observability.js';
import { decodeXmlText } from '../tools/xml-text.js';
import { principalFromAuthorization, type SequencerClock } from './notification.js';

/** Where the bridge sends each notification body (the ingest queue). */
export type NotificationSink = (body: string) => Promise<void>;

/** A change seen in a response, before the object's size is looked up. */
interface PendingChange {
  eventName: string;
  bucket: string;
  key: string;
  eTag?: string;
  eventTime: Date;
  sequencer: string;
  principalId: string;
  sourceIp: string;
  requestId: string;
}

const pendingByRequest = new WeakMap<FastifyRequest, PendingChange[]>();

/** The inner XML of each `<tag>` element, as it is (still escaped: it may hold elements). */
const xmlElements = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');

/** The text of each `<tag>` element, unescaped. */
const xmlValues = (xml: string, tag: string): string[] => xmlElements(xml, tag).map(decodeXmlText);

const stripQuotes = (eTag: string | undefined) => eTag?.replace(/^"|"$/g, '');

/** The changes one S3 response made, with the event names S3 would give them. */
function changesOf(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Omit<PendingChange, 'eventTime' | 'sequencer' | 'principalId' | 'sourceIp' | 'requestId'>[] {
  if (reply.statusCode >= 300 || !request.routeOptions.url?.startsWith('/:bucket')) return [];
  const params = request.params as { bucket?: string; '*'?: string };
  const bucket = params.bucket ?? '';
  const key = params['*'] ?? '';
  const query = (request.query ?? {}) as Record<string, string | undefined>;
  // Tagging an object is no upload and no removal (S3 announces it as s3:ObjectTagging:*, which no watched event type is).
  if ('tagging' in query) return [];
  const body =
    typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
  switch (request.method) {
    case 'PUT':
      if (!key || query.partNumber !== undefined) return [];
      if (request.headers['x-amz-copy-source']) {
        return [
          { eventName: 'ObjectCreated:Copy', bucket, key, eTag: stripQuotes(xmlValues(body, 'ETag')[0]) },
        ];
      }
      return [
        {
          eventName: 'ObjectCreated:Put',
          bucket,
          key,
          eTag: stripQuotes(String(reply.getHeader('etag') ?? '')),
        },
      ];
    case 'POST':
      if (key && query.uploadId !== undefined) {
        return [
          {
            eventName: 'ObjectCreated:CompleteMultipartUpload',
            bucket,
            key,
            eTag: stripQuotes(xmlValues(body, 'ETag')[0]),
          },
        ];
      }
      if ('delete' in query) {
        // Each entry's text is unescaped once, as its Key: an entry unescaped whole first would
        // turn a key holding `&lt;` into one holding `<`.
        const deleted = xmlElements(body, 'Deleted').flatMap((entry) => xmlValues(entry, 'Key'));
        return deleted.map((deletedKey) => ({ eventName: 'ObjectRemoved:Delete', bucket, key: deletedKey }));
      }
      return [];
    case 'DELETE':
      return key && query.uploadId === undefined ? [{ eventName: 'ObjectRemoved:Delete', bucket, key }] : [];
    default:
      return [];
  }
}

/** Handle on a running bridge. */
export interface S3NotificationBridge {
  /** Resolves when every notification of a response already sent has been published. */
  drain(): Promise<void>;
  /** Notifications published so far. */
  published(): number;
}

/**
 * Makes the embedded S3 (fauxqs) behave like a bucket with event notifications to SQS: every
 * PutObject, CopyObject, CompleteMultipartUpload, DeleteObject and DeleteObjects produces exactly
 * one notification per object, in AWS's JSON shape. fauxqs accepts notification configurations
 * but never sends anything, so this runs in its Fastify hooks: the change is read from the
 * response, the sequencer is taken as the response leaves (in request order), and the size from
 * a HeadObject answered in-process.
 */
export function installS3NotificationBridge(
  app: FastifyInstance,
  options: {
    sink: NotificationSink;
    sequencers: SequencerClock;
    region: string;
    watchedBuckets: ReadonlySet<string>;
    /**
     * The message bodies the queue receives for one change: the bucket's notification, its
     * EventBridge event when a rule sends it, or both.
     * @default the S3 event notification alone
     */
    messagesFor?: (change: S3Change) => readonly string[];
  },
): S3NotificationBridge {
  const inFlight = new Set<Promise<void>>();
  let published = 0;

  // fauxqs' async handlers call `reply.send` without returning the reply: Fastify sends their
  // `undefined` again unless the reply is out by the time they resolve, so every `onSend` hook on
  // this app finishes synchronously (an async one let a copy be answered a second time, without its ETag).
  app.addHook('onSend', (request, reply, payload, done) => {
    const changes = changesOf(request, reply, payload).filter((change) =>
      options.watchedBuckets.has(change.bucket),
    );
    if (changes.length > 0) {
      const principalId = principalFromAuthorization(request.headers.authorization);
      const requestId = String(reply.getHeader('x-amz-request-id') ?? '');
      pendingByRequest.set(
        request,
        changes.map((change) => ({
          ...change,
          eventTime: new Date(),
          sequencer: options.sequencers.next(),
          principalId,
          sourceIp: request.ip,
          requestId,
        })),
      );
    }
    done(null, payload);
  });

  app.addHook('onResponse', async (request) => {
    const pending = pendingByRequest.get(request);
    if (!pending) return;
    pendingByRequest.delete(request);
    const work = publishAll(app, pending, options)
      .then((count) => {
        published += count;
      })
      .catch((error: unknown) => {
        logger.error('local S3 bridge could not publish a notification', { error });
      });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });

  return {
    async drain() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    published: () => published,
  };
}

const notificationOnly = (change: S3Change): readonly string[] => [
  JSON.stringify(buildS3Notification(change)),
];

async function publishAll(
  app: FastifyInstance,
  pending: readonly PendingChange[],
  options: { sink: NotificationSink; region: string; messagesFor?: (change: S3Change) => readonly string[] },
): Promise<number> {
  let published = 0;
  for (const change of pending) {
    const complete: S3Change = { ...change, region: options.region, ...(await sizeOf(app, change)) };
    for (const body of (options.messagesFor ?? notificationOnly)(complete)) {
      await options.sink(body);
      published += 1;
    }
  }
  return published;
}

/** The path of an object on the embedded S3, each segment of its key URL-encoded. */
export function objectPathOf(bucket: string, key: string): string {
  return `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The object's size, when it still holds the content the event announces. */
async function sizeOf(app: FastifyInstance, change: PendingChange): Promise<{ size?: number }> {
  if (!change.eventName.startsWith('ObjectCreated:')) return {};
  const head = await app.inject({ method: 'HEAD', url: objectPathOf(change.bucket, change.key) });
  const sameContent = stripQuotes(String(head.headers.etag ?? '')) === change.eTag;
  const length = Number(head.headers['content-length']);
  return head.statusCode === 200 && sameContent && Number.isFinite(length) ? { size: length } : {};
}
