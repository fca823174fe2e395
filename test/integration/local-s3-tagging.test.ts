import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { queueDepth } from '../../src/tools/dlq-operations.js';

// fauxqs routes `/bucket/key?tagging` by method alone: before the stack answered the tagging calls
// itself, GetObjectTagging got the object's bytes, PutObjectTagging overwrote the object with the
// tag set's XML (announced as a new upload) and DeleteObjectTagging deleted the object.

const BUCKET = 'tagging-answers';
let stack: LocalStack;
const s3 = () => stack.clients.s3;
const tagsOf = async (Key: string, Bucket = BUCKET) =>
  Object.fromEntries(
    ((await s3().send(new GetObjectTaggingCommand({ Bucket, Key }))).TagSet ?? []).map((t) => [
      t.Key,
      t.Value,
    ]),
  );
const bodyOf = async (Key: string) =>
  (await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body?.transformToString();

beforeAll(async () => {
  stack = await startLocalStack({ s3Port: 0, dynamodbPort: 0, worker: false });
  await s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await stack?.stop();
});

describe('the embedded S3 keeps object tags as S3 does', () => {
  it('puts, gets and deletes a tag set, and never touches the object', async () => {
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a b.txt', Body: 'content' }));
    expect(await tagsOf('a b.txt')).toEqual({});
    await s3().send(
      new PutObjectTaggingCommand({
        Bucket: BUCKET,
        Key: 'a b.txt',
        Tagging: {
          TagSet: [
            { Key: 'GuardDutyMalwareScanStatus', Value: 'NO_THREATS_FOUND' },
            { Key: 'x&<', Value: '"y"' },
          ],
        },
      }),
    );
    expect(await tagsOf('a b.txt')).toEqual({ GuardDutyMalwareScanStatus: 'NO_THREATS_FOUND', 'x&<': '"y"' });
    expect(await bodyOf('a b.txt')).toBe('content');
    await s3().send(new DeleteObjectTaggingCommand({ Bucket: BUCKET, Key: 'a b.txt' }));
    expect(await tagsOf('a b.txt')).toEqual({});
    expect(await bodyOf('a b.txt')).toBe('content');
  });

  it('a new upload starts without the old content\u2019s tags, or with its own (x-amz-tagging)', async () => {
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k.txt', Body: 'one' }));
    await s3().send(
      new PutObjectTaggingCommand({
        Bucket: BUCKET,
        Key: 'k.txt',
        Tagging: { TagSet: [{ Key: 't', Value: '1' }] },
      }),
    );
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k.txt', Body: 'two' }));
    expect(await tagsOf('k.txt')).toEqual({});
    await s3().send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'k.txt', Body: 'three', Tagging: 'team=a&x=1 2' }),
    );
    expect(await tagsOf('k.txt')).toEqual({ team: 'a', x: '1 2' });
    // A copy takes its source's tags (TaggingDirective COPY, S3's default), or none with REPLACE.
    await s3().send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy.txt', CopySource: `${BUCKET}/k.txt` }),
    );
    expect(await tagsOf('copy.txt')).toEqual({ team: 'a', x: '1 2' });
    await s3().send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'replaced.txt',
        CopySource: `${BUCKET}/k.txt`,
        TaggingDirective: 'REPLACE',
      }),
    );
    expect(await tagsOf('replaced.txt')).toEqual({});
  });

  it('answers NoSuchKey, NoSuchVersion and InvalidTag as S3 does', async () => {
    await expect(tagsOf('missing.txt')).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(
      s3().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'a b.txt', VersionId: 'v1' })),
    ).rejects.toMatchObject({ name: 'NoSuchVersion' });
    await expect(
      s3().send(
        new PutObjectTaggingCommand({
          Bucket: BUCKET,
          Key: 'a b.txt',
          Tagging: { TagSet: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTag' });
  });

  it('tagging the watched bucket\u2019s object is no upload: nothing reaches the ingest queue', async () => {
    const bucket = stack.names.uploadsBucket;
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'tagged.txt', Body: 'x' }));
    await stack.bridge.drain();
    await waitFor('the upload\u2019s notification', async () => {
      const depth = await queueDepth(stack.clients.sqs, stack.queues.ingest.url);
      return depth.visible === 1;
    });
    await s3().send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: 'tagged.txt',
        Tagging: { TagSet: [{ Key: 't', Value: 'v' }] },
      }),
    );
    await s3().send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'tagged.txt' }));
    await stack.bridge.drain();
    expect((await queueDepth(stack.clients.sqs, stack.queues.ingest.url)).visible).toBe(1);
    expect(await tagsOf('tagged.txt', bucket)).toEqual({});
  });
});
