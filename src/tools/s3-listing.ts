import { Worker } from 'node:worker_threads';
import type {
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  ListObjectVersionsCommandInput,
  ListObjectVersionsCommandOutput,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import { listObjectsV2, listObjectVersions } from './listing-answers.js';

/** The two listing calls of a backfill, wherever they run. */
export interface S3Listing {
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<Omit<ListObjectsV2CommandOutput, '$metadata'>>;
  listObjectVersions(
    input: ListObjectVersionsCommandInput,
  ): Promise<Omit<ListObjectVersionsCommandOutput, '$metadata'>>;
  /** Calls made so far, by the thread that made them. */
  calls(): { readonly mainThread: number; readonly listingThread: number };
  /** Stops the listing thread, if there is one; later calls are made on this thread. */
  close(): Promise<void>;
}

/** Listing with the client itself, on this thread (the answers read by listing-answers.js). */
export function listingOnThisThread(s3: S3Client): S3Listing {
  let calls = 0;
  return {
    listObjectsV2: (input) => {
      calls += 1;
      return listObjectsV2(s3, input);
    },
    listObjectVersions: (input) => {
      calls += 1;
      return listObjectVersions(s3, input);
    },
    calls: () => ({ mainThread: calls, listingThread: 0 }),
    close: async () => undefined,
  };
}

type Command = 'ListObjectsV2' | 'ListObjectVersions';

interface Pending {
  readonly resolve: (output: never) => void;
  readonly reject: (error: Error) => void;
}

/** What the thread posts (see listing-thread.js). */
type ThreadMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'credentials'; readonly id: number }
  | {
      readonly kind: 'listed';
      readonly id: number;
      readonly output?: unknown;
      /** The SDK error's name, message, and `$fault` and `$metadata` (status, request id) when it has them. */
      readonly error?: {
        readonly name: string;
        readonly message: string;
        readonly $fault?: 'client' | 'server';
        readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
      };
    };

/**
 * Listing in a worker thread of its own, with the client's region, endpoint and credentials (the
 * thread asks this client for them, so they refresh as its own do). A page of 1,000 keys costs a
 * few milliseconds of CPU (read by listing-answers.js; tens when the SDK's parser reads it); there
 * it runs beside the thread that sends the notifications, on a second core. Until the thread has
 * loaded the SDK (about 0.4 s), and for good if it cannot start, the client lists on this thread:
 * the answers are the same either way.
 *
 * @returns a listing whose `ready` settles true once the thread lists, false if it never will
 */
export function listingOffThisThread(s3: S3Client): S3Listing & { readonly ready: Promise<boolean> } {
  const here = listingOnThisThread(s3);
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let threadCalls = 0;
  let worker: Worker | undefined;
  let closed = false;

  const ready = (async (): Promise<boolean> => {
    const config = await threadConfig(s3);
    if (closed) return false;
    // Plain JavaScript: the thread needs none of this process's loaders (`--import tsx`).
    const thread = new Worker(new URL('./listing-thread.js', import.meta.url), {
      workerData: { config },
      execArgv: [],
    });
    // While it starts, the thread does not keep the process alive: a backfill that ends first
    // (a small bucket) does not wait for it.
    thread.unref();
    thread.on('message', (message: ThreadMessage) => {
      if (message.kind === 'credentials') {
        s3.config.credentials().then(
          (credentials) => thread.postMessage({ kind: 'credentials', id: message.id, credentials }),
          (error: Error) =>
            thread.postMessage({
              kind: 'credentials',
              id: message.id,
              error: { name: error.name, message: error.message },
            }),
        );
      } else if (message.kind === 'listed') {
        const request = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) request?.reject(Object.assign(new Error(message.error.message), message.error));
        else request?.resolve(message.output as never);
      }
    });
    const started = await new Promise<boolean>((resolve) => {
      thread.once('message', (message: ThreadMessage) => resolve(message.kind === 'ready'));
      thread.once('error', () => resolve(false));
      thread.once('exit', () => resolve(false));
    });
    // A thread that dies takes its calls with it: they fail (the backfill stops with its
    // checkpoint), and later calls are made on this thread.
    const died = (error: Error) => {
      if (worker === thread) worker = undefined;
      for (const request of pending.values()) request.reject(error);
      pending.clear();
    };
    thread.on('error', died);
    thread.on('exit', (code) => died(new Error(`the listing thread exited (code ${code})`)));
    if (!started || closed) {
      await thread.terminate();
      return false;
    }
    thread.ref();
    worker = thread;
    return true;
  })().catch(() => false);

  const list = <T>(command: Command, input: object, onThisThread: () => Promise<T>): Promise<T> => {
    const thread = worker;
    if (!thread) return onThisThread();
    threadCalls += 1;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (output: never) => void, reject });
      thread.postMessage({ kind: 'list', id, command, input });
    });
  };

  return {
    ready,
    listObjectsV2: (input) => list('ListObjectsV2', input, () => here.listObjectsV2(input)),
    listObjectVersions: (input) => list('ListObjectVersions', input, () => here.listObjectVersions(input)),
    calls: () => ({ mainThread: here.calls().mainThread, listingThread: threadCalls }),
    close: async () => {
      // A thread still starting stops itself once started.
      closed = true;
      const thread = worker;
      worker = undefined;
      await thread?.terminate();
    },
  };
}

/** The client's settings a second client needs to list the same bucket the same way. */
async function threadConfig(s3: S3Client): Promise<S3ClientConfig> {
  const endpoint = s3.config.isCustomEndpoint ? await s3.config.endpoint?.() : undefined;
  return {
    region: await s3.config.region(),
    forcePathStyle: s3.config.forcePathStyle,
    maxAttempts: await s3.config.maxAttempts(),
    useFipsEndpoint: await s3.config.useFipsEndpoint(),
    useDualstackEndpoint: await s3.config.useDualstackEndpoint(),
    ...(endpoint && {
      endpoint: `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}`,
    }),
  };
}
