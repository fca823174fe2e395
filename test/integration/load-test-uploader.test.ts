import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientUploader, type ObjectUploader, threadUploader } from '../../loadtest/uploader.js';
import { type LocalStack, localCredentials, startLocalStack } from '../../src/local/stack.js';

let stack: LocalStack;
let uploader: ObjectUploader;

beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false, visibilityTimeoutSeconds: 30 });
  uploader = await threadUploader({
    region: stack.description.region,
    endpoint: stack.description.endpoints.s3,
    forcePathStyle: true,
    credentials: localCredentials(),
  });
}, 60_000);

afterAll(async () => {
  await uploader?.close();
  await stack?.stop();
});

const upload = (key: string, text: string) => ({
  bucket: stack.names.uploadsBucket,
  key,
  body: Buffer.from(text),
  contentType: 'text/plain',
});

describe('the load test uploader in a thread of its own (embedded S3)', () => {
  it('uploads, and answers the ETag S3 stored, as the client on this thread does', async () => {
    const fromThread = await uploader.put(upload('uploader/thread.txt', 'same content'));
    const fromHere = await clientUploader(stack.clients.s3).put(upload('uploader/here.txt', 'same content'));

    const head = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.names.uploadsBucket, Key: 'uploader/thread.txt' }),
    );
    expect(fromThread.eTag).toBe(head.ETag);
    expect(head.ContentLength).toBe('same content'.length);
    expect(head.ContentType).toBe('text/plain');
    expect(fromThread).toEqual(fromHere);
  });

  it('keeps concurrent uploads apart: each answer is its own upload’s', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `uploader/many/${i}.txt`);
    const answers = await Promise.all(keys.map((key) => uploader.put(upload(key, `body of ${key}`))));

    const heads = await Promise.all(
      keys.map((key) =>
        stack.clients.s3.send(new HeadObjectCommand({ Bucket: stack.names.uploadsBucket, Key: key })),
      ),
    );
    expect(answers.map((answer) => answer.eTag)).toEqual(heads.map((head) => head.ETag));
    expect(new Set(answers.map((answer) => answer.eTag)).size).toBe(keys.length);
  });

  it('fails an upload S3 refuses with S3’s error name, and goes on uploading', async () => {
    await expect(
      uploader.put({ ...upload('uploader/nowhere.txt', 'x'), bucket: 'no-such-bucket-here' }),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });

    await expect(uploader.put(upload('uploader/after.txt', 'still uploading'))).resolves.toMatchObject({
      eTag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
    });
  });

  it('refuses uploads once closed', async () => {
    const closing = await threadUploader({
      region: stack.description.region,
      endpoint: stack.description.endpoints.s3,
      forcePathStyle: true,
      credentials: localCredentials(),
    });
    await closing.close();

    await expect(closing.put(upload('uploader/closed.txt', 'x'))).rejects.toThrow(/closed/);
  });
});
