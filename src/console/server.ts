import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type MessageFilter, parseFilters } from '../tools/dlq-messages.js';
import {
  discardMessages,
  ingestOldestAge,
  moveMessages,
  peekMessages,
  queueDepth,
} from '../tools/dlq-operations.js';
import { csvRows, printable, renderCsv } from '../tools/format.js';
import { discardFilePath, stateDirectory } from '../tools/private-files.js';
import { requireWatchedBucket, type ToolClients, type ToolTarget } from '../tools/target.js';
import { isUsageError, ToolError, UsageError } from '../tools/tool-error.js';
import {
  type BucketRangeQuery,
  checkTimeRange,
  type RowPage,
  UPLOAD_COLUMNS,
  UploadQueries,
} from '../tools/upload-queries.js';
import { startEventFeed } from './event-feed.js';
import { type DashboardOptions, type MetricsSource, readDashboard } from './metrics-source.js';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

/** The files the page loads, by URL path: what `npm run bench` weighs. */
export const PAGE_ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/app.js': { file: join(STATIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: join(STATIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    file: join(UPLOT_DIR, 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': { file: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** What the console serves. */
export interface ConsoleOptions {
  readonly target: ToolTarget;
  readonly clients: ToolClients;
  readonly metrics: MetricsSource;
  /** Redrive and discard; a deployed stack's console is read-only unless `--allow-changes`. */
  readonly allowChanges: boolean;
  /** Where the S3/SQS emulator answers (local only: the ingest queue's oldest age). */
  readonly sqsEndpoint?: string;
  /** Where discard saves what it deletes. @default the state directory (`LOCAL_STATE_DIR`, or .local) */
  readonly discardDirectory?: string;
  readonly dashboard?: DashboardOptions;
  /** What the worker did lately, for the status page (local only). */
  readonly workerActivity?: () => Record<string, unknown>;
}

/** A running console. */
export interface RunningConsole {
  /** Where it answers, without the token: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /**
   * The URL to hand the operator: {@link url} with the token in its fragment (`#token=...`).
   * A fragment never goes over the wire, so the token is in no request line, log or Referer.
   */
  readonly operatorUrl: string;
  /** The per-process token every `/api/` request must carry (`X-Console-Token`). */
  readonly token: string;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Rows per query while the CSV export pages through a range. */
const CSV_PAGE_ROWS = 1000;

/** The CSV export: the header and the first page, then each next page until the range ends. */
async function* csvPages(
  queries: UploadQueries,
  query: BucketRangeQuery,
  first: RowPage,
): AsyncGenerator<string> {
  let page = first;
  yield `${renderCsv(page.rows, UPLOAD_COLUMNS)}\n`;
  while (page.next) {
    page = await queries.byBuckets({ ...query, after: page.next });
    for (const line of csvRows(page.rows, UPLOAD_COLUMNS)) yield `${line}\n`;
  }
}

/** Compares bytes in constant time; any header value (non-ASCII bytes included) is just unequal. */
const sameToken = (given: unknown, token: string): boolean => {
  if (typeof given !== 'string') return false;
  const givenBytes = Buffer.from(given, 'latin1');
  const tokenBytes = Buffer.from(token, 'latin1');
  return givenBytes.length === tokenBytes.length && timingSafeEqual(givenBytes, tokenBytes);
};

/** The routes anyone who names the Host may read: the page and its static files, which hold no data. */
const PUBLIC_ROUTES = new Set(['/', '/favicon.ico', ...Object.keys(PAGE_ASSETS)]);

/**
 * Why a request is refused, or undefined when it may go on. Every request must name this server
 * as its Host (a page of another site resolved to 127.0.0.1 cannot talk to it: DNS rebinding).
 * Every request but a read of a public route (the page and its files, which hold no data) must
 * carry the token, which only the operator has (the printed URL's fragment): every `/api/` read
 * included, and any path that matched no route. A browser sends no custom header across origins
 * without a preflight this server never answers, so an `<img>` or a form elsewhere reaches nothing.
 * An `Origin` other than this one is refused; a state-changing request must name this one.
 *
 * @param request.route - the route the request matched (its pattern, after the router decoded
 *   the path), or undefined when none did: decided on that, never on the raw URL
 */
export function refusal(
  request: { method: string; route?: string; headers: Record<string, string | string[] | undefined> },
  origin: string,
  token: string,
): string | undefined {
  const host = request.headers.host;
  const allowedHosts = [new URL(origin).host, new URL(origin).host.replace('127.0.0.1', 'localhost')];
  if (typeof host !== 'string' || !allowedHosts.includes(host))
    return `Host ${printable(String(host))} is not this console`;
  const safe = SAFE_METHODS.has(request.method);
  if (safe && request.route !== undefined && PUBLIC_ROUTES.has(request.route)) return undefined;
  const requestOrigin = request.headers.origin;
  const ownOrigin = requestOrigin === origin || requestOrigin === origin.replace('127.0.0.1', 'localhost');
  if (!ownOrigin && (requestOrigin !== undefined || !safe))
    return `Origin ${printable(String(requestOrigin))} may not use this console`;
  if (!sameToken(request.headers['x-console-token'], token)) return 'missing or wrong console token';
  return undefined;
}

/**
 * Which DLQ messages a redrive or discard names: `{"all": true}`, `{"messageIds": [...]}` or
 * `{"filters": [...]}` (ids and filters may go together: both must match). Anything else, a
 * misspelt field or a list of the wrong type included, is refused: nothing is ever read as
 * "everything" by mistake.
 *
 * @throws {UsageError} naming what is wrong with the body
 */
export function parseSelection(body: unknown, action: 'redrive' | 'discard'): MessageFilter {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new UsageError(
      `${action} takes a JSON object: {"messageIds": [...]}, {"filters": [...]} or {"all": true}`,
    );
  const allowed =
    action === 'discard' ? ['messageIds', 'filters', 'confirm'] : ['messageIds', 'filters', 'all'];
  const unknown = Object.keys(body).filter((name) => !allowed.includes(name));
  if (unknown.length > 0)
    throw new UsageError(
      `${action} does not know ${unknown.map((name) => `"${printable(name)}"`).join(', ')}: use ${allowed.join(', ')}`,
    );
  const { messageIds, filters, all } = body as { messageIds?: unknown; filters?: unknown; all?: unknown };
  const listOf = (value: unknown, name: string): string[] | undefined => {
    if (value === undefined) return undefined;
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      !value.every((item) => typeof item === 'string' && item !== '')
    )
      throw new UsageError(`${name} must be a list of one or more non-empty strings`);
    return value as string[];
  };
  const ids = listOf(messageIds, 'messageIds');
  const expressions = listOf(filters, 'filters');
  if (all !== undefined && all !== true) throw new UsageError('all must be true when given');
  if (all === true && (ids || expressions)) throw new UsageError('give all, or messageIds/filters, not both');
  if (all !== true && !ids && !expressions) {
    throw new UsageError(
      action === 'discard'
        ? 'discard needs messageIds or filters: it never deletes everything'
        : 'name the messages: {"messageIds": [...]}, {"filters": [...]}, or {"all": true} for every one',
    );
  }
  const idSet = ids && new Set(ids);
  const byFilter = expressions && parseFilters(expressions, action === 'discard' ? 'every' : 'any');
  return (summary) => (idSet ? idSet.has(summary.messageId) : true) && (byFilter ? byFilter(summary) : true);
}

/** Refuses a body that is not `application/json` before it is parsed. */
function requireJson(request: FastifyRequest): void {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/json') throw new UsageError('send application/json');
}

/**
 * Starts the console on 127.0.0.1: uploads, the DLQ, the dashboard and the queues' status of one
 * stack, with the same modules as the CLI (`uploads`, `redrive`).
 *
 * @param port - 0 picks a free one
 */
export async function startConsole(options: ConsoleOptions, port: number): Promise<RunningConsole> {
  const { target, clients } = options;
  const token = randomBytes(24).toString('base64url');
  const queries = new UploadQueries(clients.dynamodb, target.uploadLogTable);
  // The upload events as they come, for the events page (a temporary subscription while it runs).
  const feed = startEventFeed(target, clients.sqs);
  const app = Fastify({ logger: false });
  let origin = '';

  app.addHook('onRequest', async (request, reply) => {
    const reason = refusal(
      { method: request.method, route: request.routeOptions.url, headers: request.headers },
      origin,
      token,
    );
    if (reason) return reply.code(403).send({ error: reason });
    // Nothing here may be framed or sniffed; the page runs its own scripts only.
    reply.header('X-Frame-Options', 'DENY');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    return undefined;
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = isUsageError(error) || error instanceof ToolError ? 400 : (error.statusCode ?? 500);
    void reply.code(status).send({ error: error.message });
  });

  // The page holds no token: the operator's URL brings it in its fragment.
  const page = await readFile(join(STATIC_DIR, 'index.html'), 'utf8');
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  for (const [path, asset] of Object.entries(PAGE_ASSETS)) {
    const content = await readFile(asset.file);
    app.get(path, async (_request, reply) => reply.type(asset.type).send(content));
  }

  // Browsers ask for one; there is none.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  app.get('/api/info', async () => ({
    target: { kind: target.kind, label: target.label, region: target.region },
    buckets: target.watchedBuckets,
    allowChanges: options.allowChanges,
    shardCount: target.gsiShardCount,
  }));

  const uploadsQuery = (request: FastifyRequest) => {
    const q = request.query as Record<string, string | undefined>;
    const bucket = q.bucket ?? target.watchedBuckets[0] ?? '';
    requireWatchedBucket(target, bucket);
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 86_400_000);
    checkTimeRange(from, to);
    const limit = Math.min(1000, Math.max(1, Number(q.limit ?? 50) || 50));
    return {
      buckets: [bucket],
      from,
      to,
      shardCount: target.gsiShardCount,
      limit,
      ...(q.status && { status: q.status }),
      ...(q.after && { after: q.after }),
    };
  };
  app.get('/api/uploads', async (request) => {
    const page = await queries.byBuckets(uploadsQuery(request));
    return { rows: page.rows, ...(page.next && { next: page.next }) };
  });
  app.get('/api/uploads.csv', async (request, reply) => {
    // Every row of the range, page after page, streamed: nothing is cut.
    const query = { ...uploadsQuery(request), limit: CSV_PAGE_ROWS };
    const first = await queries.byBuckets(query);
    const file = `uploads-${query.buckets[0]}-${query.from.toISOString().slice(0, 10)}.csv`;
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${file.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
      .send(Readable.from(csvPages(queries, query, first)));
  });
  app.get('/api/object', async (request) => {
    const { bucket = '', key = '' } = request.query as { bucket?: string; key?: string };
    requireWatchedBucket(target, bucket);
    const { uploads, state } = await queries.byObject(bucket, key);
    return { uploads, state: state ?? null, copyDestinationBucket: target.copyDestinationBucket ?? null };
  });

  app.get('/api/events', async () => feed.snapshot());

  app.get('/api/dlq', async (request) => {
    const limit = Math.min(100, Math.max(1, Number((request.query as { limit?: string }).limit ?? 50) || 50));
    return { messages: await peekMessages(clients.sqs, target.dlqUrl, limit) };
  });
  const changesAllowed = (reply: FastifyReply) => {
    if (options.allowChanges) return true;
    void reply
      .code(403)
      .send({ error: 'this console is read-only: start it with --allow-changes to redrive or discard' });
    return false;
  };
  app.post('/api/dlq/redrive', async (request, reply) => {
    if (!changesAllowed(reply)) return reply;
    requireJson(request);
    const filter = parseSelection(request.body, 'redrive');
    const result = await moveMessages(clients.sqs, {
      from: target.dlqUrl,
      to: target.ingestQueueUrl,
      filter,
      watchedBuckets: target.watchedBuckets,
    });
    return { moved: result.moved, kept: result.skipped, unwatched: result.unwatched };
  });
  app.post('/api/dlq/discard', async (request, reply) => {
    if (!changesAllowed(reply)) return reply;
    requireJson(request);
    const filter = parseSelection(request.body, 'discard');
    if ((request.body as { confirm?: unknown }).confirm !== true)
      throw new UsageError('discard deletes messages: confirm it');
    const file = discardFilePath(options.discardDirectory ?? stateDirectory());
    const result = await discardMessages(clients.sqs, { url: target.dlqUrl, filter, file });
    return { discarded: result.moved, kept: result.skipped, file };
  });

  app.get('/api/status', async () => {
    const [ingest, dlq, oldest] = await Promise.all([
      queueDepth(clients.sqs, target.ingestQueueUrl),
      queueDepth(clients.sqs, target.dlqUrl),
      ingestOldestAge(target, options.sqsEndpoint).catch(() => undefined),
    ]);
    return {
      ingest: { ...ingest, ...(oldest !== undefined && { oldestAgeSeconds: oldest }) },
      dlq,
      worker: options.workerActivity?.() ?? null,
    };
  });
  app.get('/api/dashboard', async (request) => {
    const minutes = Math.min(
      24 * 60,
      Math.max(5, Number((request.query as { minutes?: string }).minutes ?? 60) || 60),
    );
    const to = Date.now();
    return readDashboard(options.metrics, { from: to - minutes * 60_000, to }, options.dashboard);
  });

  const address = await app.listen({ host: '127.0.0.1', port }).catch(async (error: unknown) => {
    await feed.close();
    throw error;
  });
  origin = address.replace('localhost', '127.0.0.1');
  return {
    url: `${origin}/`,
    operatorUrl: `${origin}/#token=${token}`,
    token,
    server: app,
    close: async () => {
      await app.close();
      await feed.close();
    },
  };
}
