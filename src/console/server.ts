import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
import { renderCsv } from '../tools/format.js';
import { requireWatchedBucket, type ToolClients, type ToolTarget } from '../tools/target.js';
import { isUsageError, ToolError } from '../tools/tool-error.js';
import { UPLOAD_COLUMNS, UploadQueries } from '../tools/upload-queries.js';
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
  /** Where discard saves what it deletes. @default .local/ */
  readonly discardDirectory?: string;
  readonly dashboard?: DashboardOptions;
  /** What the worker did lately, for the status page (local only). */
  readonly workerActivity?: () => Record<string, unknown>;
}

/** A running console. */
export interface RunningConsole {
  readonly url: string;
  /** The per-process token state-changing requests must carry (the page has it). */
  readonly token: string;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

const sameToken = (given: unknown, token: string): boolean => {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
};

/**
 * Why a request is refused, or undefined when it may go on. Every request must name this server
 * as its Host (a page of another site resolved to 127.0.0.1 cannot talk to it: DNS rebinding);
 * a state-changing one must also carry the token and come from this origin.
 */
export function refusal(
  request: { method: string; headers: Record<string, string | string[] | undefined> },
  origin: string,
  token: string,
): string | undefined {
  const host = request.headers.host;
  const allowedHosts = [new URL(origin).host, new URL(origin).host.replace('127.0.0.1', 'localhost')];
  if (typeof host !== 'string' || !allowedHosts.includes(host))
    return `Host ${String(host)} is not this console`;
  if (SAFE_METHODS.has(request.method)) return undefined;
  const requestOrigin = request.headers.origin;
  if (requestOrigin !== origin && requestOrigin !== origin.replace('127.0.0.1', 'localhost'))
    return `Origin ${String(requestOrigin)} may not change anything here`;
  if (!sameToken(request.headers['x-console-token'], token)) return 'missing or wrong console token';
  return undefined;
}

/** Selected messages: by id, or by `redrive` filter expressions (at least one of the two). */
function selection(body: unknown): MessageFilter {
  const { messageIds, filters } = (body ?? {}) as { messageIds?: unknown; filters?: unknown };
  const ids = Array.isArray(messageIds) ? new Set(messageIds.map(String)) : undefined;
  const expressions = Array.isArray(filters) ? filters.map(String) : [];
  const byFilter = expressions.length > 0 ? parseFilters(expressions) : undefined;
  return (summary) => (ids ? ids.has(summary.messageId) : true) && (byFilter ? byFilter(summary) : true);
}

const hasSelection = (body: unknown) => {
  const { messageIds, filters } = (body ?? {}) as { messageIds?: unknown[]; filters?: unknown[] };
  return (
    (Array.isArray(messageIds) && messageIds.length > 0) || (Array.isArray(filters) && filters.length > 0)
  );
};

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
  const app = Fastify({ logger: false });
  let origin = '';

  app.addHook('onRequest', async (request, reply) => {
    const reason = refusal(request, origin, token);
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

  const page = await readFile(join(STATIC_DIR, 'index.html'), 'utf8');
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page.replace('__CONSOLE_TOKEN__', token)),
  );
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
    if (Number.isNaN(to.getTime()) || Number.isNaN(from.getTime()))
      throw new ToolError('from and to must be ISO 8601 times');
    const limit = Math.min(1000, Math.max(1, Number(q.limit ?? 50) || 50));
    return {
      bucket,
      from,
      to,
      shardCount: target.gsiShardCount,
      limit,
      ...(q.status && { status: q.status }),
      ...(q.after && { after: q.after }),
    };
  };
  app.get('/api/uploads', async (request) => {
    const page = await queries.byBucket(uploadsQuery(request));
    return { rows: page.rows, ...(page.next && { next: page.next }) };
  });
  app.get('/api/uploads.csv', async (request, reply) => {
    const query = { ...uploadsQuery(request), limit: 10_000 };
    const page = await queries.byBucket(query);
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="uploads-${query.bucket}.csv"`)
      .send(`${renderCsv(page.rows, UPLOAD_COLUMNS)}\n`);
  });
  app.get('/api/object', async (request) => {
    const { bucket = '', key = '' } = request.query as { bucket?: string; key?: string };
    requireWatchedBucket(target, bucket);
    const { uploads, state } = await queries.byObject(bucket, key);
    return { uploads, state: state ?? null, copyDestinationBucket: target.copyDestinationBucket ?? null };
  });

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
    const result = await moveMessages(clients.sqs, {
      from: target.dlqUrl,
      to: target.ingestQueueUrl,
      filter: selection(request.body),
    });
    return { moved: result.moved, kept: result.skipped };
  });
  app.post('/api/dlq/discard', async (request, reply) => {
    if (!changesAllowed(reply)) return reply;
    const body = (request.body ?? {}) as { confirm?: unknown };
    if (body.confirm !== true) throw new ToolError('discard deletes messages: confirm it');
    if (!hasSelection(request.body))
      throw new ToolError('discard needs messages or filters: it never deletes everything');
    const directory = options.discardDirectory ?? '.local';
    await mkdir(directory, { recursive: true });
    const file = join(directory, `discarded-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`);
    const result = await discardMessages(clients.sqs, {
      url: target.dlqUrl,
      filter: selection(request.body),
      file,
    });
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

  const address = await app.listen({ host: '127.0.0.1', port });
  origin = address.replace('localhost', '127.0.0.1');
  return {
    url: `${origin}/`,
    token,
    server: app,
    close: () => app.close(),
  };
}
