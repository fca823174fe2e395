/**
 * The load test's uploader on the embedded target (see uploader.ts): a worker thread that makes
 * the PutObject calls, so that the client's side of each upload (the SDK's middleware, checksum,
 * signing, HTTP) does not run on the event loop that runs the embedded S3, SQS and DynamoDB. On
 * AWS the uploaders are other machines; here they are at least another thread.
 *
 * Plain JavaScript, so the thread starts without the TypeScript loader. It holds no logic of the
 * load test: it uploads the body it is given and posts back the answer's ETag and version.
 *
 * workerData: `{ config }` (the S3 client's region, endpoint, path style and static credentials).
 * Messages in: `{ id, bucket, key, body, contentType }`.
 * Messages out: `{ kind: 'ready' }`, `{ kind: 'uploaded', id, eTag, versionId } | { kind: 'uploaded', id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client(workerData.config);

parentPort.on('message', async ({ id, bucket, key, body, contentType }) => {
  try {
    const answer = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
    parentPort.postMessage({ kind: 'uploaded', id, eTag: answer.ETag, versionId: answer.VersionId });
  } catch (error) {
    parentPort.postMessage({ kind: 'uploaded', id, error: { name: error.name, message: error.message } });
  }
});
parentPort.postMessage({ kind: 'ready' });
