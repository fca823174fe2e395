import { Worker } from 'node:worker_threads';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** One upload as the load test sends it. */
export interface UploadRequest {
  readonly bucket: string;
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** What S3 answered: the new version's ETag (quotes and all) and its version ID, if any. */
export interface UploadAnswer {
  readonly eTag: string | undefined;
  readonly versionId: string | undefined;
}

/** Makes the load test's PutObject calls. */
export interface ObjectUploader {
  put(request: UploadRequest): Promise<UploadAnswer>;
  close(): Promise<void>;
}

/** Uploads with a client on this thread (a remote target: no service shares this event loop). */
export function clientUploader(s3: S3Client): ObjectUploader {
  return {
    async put({ bucket, key, body, contentType }) {
      const answer = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
      );
      return { eTag: answer.ETag, versionId: answer.VersionId };
    },
    close: async () => undefined,
  };
}

/** What the upload thread posts (see upload-thread.js). */
type ThreadMessage =
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'uploaded';
      readonly id: number;
      readonly eTag?: string;
      readonly versionId?: string;
      readonly error?: { readonly name: string; readonly message: string };
    };

/** The settings of the thread's S3 client: plain data, since they cross to another thread. */
export interface UploadThreadConfig {
  readonly region: string;
  readonly endpoint: string;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * Uploads from a worker thread of its own (upload-thread.js). On the embedded target the uploads'
 * client side would otherwise share one event loop with S3, SQS, DynamoDB and the worker's front
 * door, and take its turns from them: a load generator that slows the system it measures. On AWS
 * the uploaders are other machines. The S3 side of each upload (and its notification) still runs
 * in the embedded S3.
 *
 * @returns once the thread is ready to upload
 */
export async function threadUploader(config: UploadThreadConfig): Promise<ObjectUploader> {
  // Plain JavaScript: the thread needs none of this process's loaders (`--import tsx`).
  const thread = new Worker(new URL('./upload-thread.js', import.meta.url), {
    workerData: { config },
    execArgv: [],
  });
  const pending = new Map<
    number,
    { resolve: (answer: UploadAnswer) => void; reject: (error: Error) => void }
  >();
  let nextId = 0;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const request of pending.values()) request.reject(failure);
    pending.clear();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      thread.once('message', (message: ThreadMessage) =>
        message.kind === 'ready' ? resolve() : reject(new Error('the upload thread did not start')),
      );
      thread.once('error', reject);
      thread.once('exit', (code) =>
        reject(new Error(`the upload thread exited (code ${code}) before it was ready`)),
      );
    });
  } catch (error) {
    await thread.terminate();
    throw error;
  }
  thread.on('message', (message: ThreadMessage) => {
    if (message.kind !== 'uploaded') return;
    const request = pending.get(message.id);
    pending.delete(message.id);
    if (message.error)
      request?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
    else request?.resolve({ eTag: message.eTag, versionId: message.versionId });
  });
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`the upload thread exited (code ${code})`)));
  return {
    put(request) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<UploadAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        thread.postMessage({ id, ...request });
      });
    },
    async close() {
      fail(new Error('the uploader is closed'));
      await thread.terminate();
    },
  };
}
