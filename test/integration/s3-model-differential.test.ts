import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../src/local/free-port.js';
import { waitFor } from '../../src/local/wait.js';
import { listObjectVersions } from '../../src/tools/listing-answers.js';
import { InMemoryS3 } from '../support/in-memory-s3.js';

// The in-memory S3 the handler tests use was written here; this checks it against one written
// elsewhere: moto's S3 server. Random sequences of the operations the worker uses (put, delete with
// and without a version, delete markers, suspended versioning, head and ranged or conditional gets
// by version, conditional copies, object tags by version, and ListObjectVersions paged a few entries
// at a time, read by the backfill's own listing reader) run on both, and every answer is compared.

const MOTO = ['moto_server', join(homedir(), '.pyenv/shims/moto_server')].find(
  (candidate) => spawnSync(candidate, ['--help'], { stdio: 'ignore' }).status === 0,
);
if (!MOTO) {
  // CI has moto_server on the PATH: there, a missing one is a failure, not a reason to skip.
  if (process.env.CI)
    throw new Error('the S3 model check needs moto_server on the PATH (pip install "moto[server]")');
  process.stderr.write('\nThe S3 model differential test did not run: no moto_server on the PATH.\n');
}

const BODIES = ['alpha', 'beta beta', ''].map((text) => Buffer.from(text));
const md5 = (body: Buffer) => createHash('md5').update(body).digest('hex');
// S3 lists in binary (UTF-8) order: `B/é` before `a`, where a locale order puts it after.
const KEYS = ['a', 'B/\u00e9', 'dir/b'];

type Op =
  | { kind: 'put'; key: string; body: number }
  | { kind: 'delete'; key: string }
  | { kind: 'deleteVersion'; key: string; ref: number }
  | { kind: 'head'; key: string; ref: number | null }
  | { kind: 'get'; key: string; ref: number | null; first: number; length: number }
  | { kind: 'getIfMatch'; key: string; body: number }
  | { kind: 'copyIfMatch'; key: string; body: number }
  | { kind: 'putTags'; key: string; ref: number | null; value: string }
  | { kind: 'getTags'; key: string; ref: number | null }
  | { kind: 'listVersions'; maxKeys: number }
  | { kind: 'versioning'; state: 'Enabled' | 'Suspended' };

const key = fc.constantFrom(...KEYS);
const body = fc.integer({ min: 0, max: BODIES.length - 1 });
const ref = fc.nat({ max: 9 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), key, body }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteVersion' as const), key, ref }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('head' as const), key, ref: fc.option(ref) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('get' as const),
      key,
      ref: fc.option(ref),
      first: fc.nat({ max: 6 }),
      length: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('getIfMatch' as const), key, body }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copyIfMatch' as const), key, body }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('putTags' as const),
      key,
      ref: fc.option(ref, { freq: 2 }),
      value: fc.constantFrom('x', 'y'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('getTags' as const), key, ref: fc.option(ref, { freq: 2 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('listVersions' as const),
      maxKeys: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('versioning' as const),
      state: fc.constantFrom('Enabled', 'Suspended'),
    }),
  },
);

/** What an answer says, in terms both implementations can be compared on. */
type Outcome = Record<string, unknown>;

const failure = (error: unknown): Outcome => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return { ok: false, status: $metadata?.httpStatusCode ?? name };
};

type VersionPage = Pick<
  ListObjectVersionsCommandOutput,
  'Versions' | 'DeleteMarkers' | 'IsTruncated' | 'NextKeyMarker' | 'NextVersionIdMarker'
>;

/**
 * Every page of a bucket's ListObjectVersions, `maxKeys` entries at a time, each version id named
 * by its place among the key's versions in that world (`#0` its first), `null` as it is.
 */
async function listedVersions(
  list: (marker: { KeyMarker?: string; VersionIdMarker?: string }) => Promise<VersionPage>,
  label: (key: string, versionId: string | undefined) => string,
): Promise<Outcome> {
  const pages: unknown[] = [];
  let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (let page = 0; page < 40; page++) {
    const answer = await list(marker);
    pages.push({
      versions: (answer.Versions ?? []).map((v) => [
        v.Key,
        label(String(v.Key), v.VersionId),
        v.IsLatest,
        v.ETag,
        v.Size,
      ]),
      markers: (answer.DeleteMarkers ?? []).map((m) => [
        m.Key,
        label(String(m.Key), m.VersionId),
        m.IsLatest,
      ]),
      truncated: answer.IsTruncated === true,
      ...(answer.IsTruncated && {
        next: [answer.NextKeyMarker, label(String(answer.NextKeyMarker), answer.NextVersionIdMarker)],
      }),
    });
    if (!answer.IsTruncated) return { ok: true, pages };
    marker = { KeyMarker: answer.NextKeyMarker, VersionIdMarker: answer.NextVersionIdMarker };
  }
  return { ok: false, status: 'more than 40 pages' };
}

/** A version id as its place among the ids a world recorded for the key. */
const versionLabel =
  (versions: Map<string, string[]>) =>
  (key: string, versionId: string | undefined): string =>
    versionId === 'null' || versionId === undefined
      ? String(versionId)
      : `#${(versions.get(key) ?? []).indexOf(versionId)}`;

/**
 * What an operation with a `ref` addresses: the key's current version (`ref` null), or the
 * version `ref` picks; undefined when the world has no version to pick (the step is skipped).
 */
function addressed(
  bucket: string,
  o: { key: string; ref: number | null },
  versionOf: (key: string, ref: number) => string | undefined,
): { Bucket: string; Key: string; VersionId?: string } | undefined {
  if (o.ref === null) return { Bucket: bucket, Key: o.key };
  const id = versionOf(o.key, o.ref);
  return id === undefined ? undefined : { Bucket: bucket, Key: o.key, VersionId: id };
}

/** A tag set as `key=value` strings, in order. */
const tagList = (tagSet: { Key?: string; Value?: string }[] | undefined) =>
  (tagSet ?? []).map((tag) => `${tag.Key}=${tag.Value}`);

/** One S3 with the versions it has created per key, in order (each world refers to its own ids). */
interface World {
  versions: Map<string, string[]>;
  /** Whether the key has any version or marker at all (the in-memory world knows). */
  exists?(key: string): boolean;
  run(op: Op, versionOf: (key: string, ref: number) => string | undefined): Promise<Outcome>;
}

function memoryWorld(): World {
  const s3 = new InMemoryS3();
  let state: 'Unversioned' | 'Enabled' | 'Suspended' = 'Unversioned';
  const versions = new Map<string, string[]>();
  const remember = (k: string, id: string | undefined) => {
    if (id !== undefined && state !== 'Unversioned') versions.set(k, [...(versions.get(k) ?? []), id]);
  };
  const attempt = async (work: () => Outcome | Promise<Outcome>) => {
    try {
      return await work();
    } catch (error) {
      return failure(error);
    }
  };
  return {
    versions,
    exists: (k) => (s3.versions.get(`bucket/${k}`) ?? []).length > 0,
    run: (o, versionOf) =>
      attempt(async () => {
        switch (o.kind) {
          case 'put': {
            const bytes = BODIES[o.body] as Buffer;
            const id = s3.putObject('bucket', o.key, { eTag: md5(bytes), size: bytes.length, body: bytes });
            remember(o.key, id);
            // What PutObject answers is the harness's to say (the worker never reads it): a version
            // id header when versioning is on.
            return { ok: true, hasVersionId: state === 'Enabled' };
          }
          case 'delete': {
            const answer = s3.deleteObject('bucket', o.key);
            remember(o.key, answer.versionId);
            return { ok: true, deleteMarker: answer.deleteMarker };
          }
          case 'deleteVersion': {
            const id = versionOf(o.key, o.ref);
            if (id === undefined) return { ok: 'skipped' };
            const answer = s3.deleteObject('bucket', o.key, id);
            return { ok: true, deleteMarker: answer.deleteMarker };
          }
          case 'head':
          case 'get': {
            const input = addressed('bucket', o, versionOf);
            if (!input) return { ok: 'skipped' };
            if (o.kind === 'head') {
              const head = s3.headObject(input);
              return {
                ok: true,
                eTag: head.ETag,
                size: head.ContentLength,
                hasVersionId: head.VersionId !== undefined,
              };
            }
            const range = `bytes=${o.first}-${o.first + o.length - 1}`;
            const got = s3.getObject({ ...input, Range: range });
            return {
              ok: true,
              eTag: got.ETag,
              bytes: Buffer.from(await got.Body.transformToByteArray()).toString(),
            };
          }
          case 'getIfMatch': {
            const got = s3.getObject({
              Bucket: 'bucket',
              Key: o.key,
              IfMatch: `"${md5(BODIES[o.body] as Buffer)}"`,
            });
            return { ok: true, eTag: got.ETag };
          }
          case 'copyIfMatch': {
            s3.copyObject({
              Bucket: 'copies',
              Key: o.key,
              CopySource: `bucket/${o.key}`,
              CopySourceIfMatch: `"${md5(BODIES[o.body] as Buffer)}"`,
            });
            return { ok: true };
          }
          case 'putTags':
          case 'getTags': {
            const input = addressed('bucket', o, versionOf);
            if (!input) return { ok: 'skipped' };
            if (o.kind === 'getTags') return { ok: true, tags: tagList(s3.getObjectTagging(input).TagSet) };
            s3.putObjectTagging({ ...input, Tagging: { TagSet: [{ Key: 't', Value: o.value }] } });
            return { ok: true };
          }
          case 'listVersions':
            return listedVersions(
              async (marker) => s3.listObjectVersions({ Bucket: 'bucket', MaxKeys: o.maxKeys, ...marker }),
              versionLabel(versions),
            );
          case 'versioning':
            s3.setVersioning('bucket', o.state);
            state = o.state;
            return { ok: true };
        }
      }),
  };
}

function motoWorld(client: S3Client, bucket: string): World {
  const versions = new Map<string, string[]>();
  let state: 'Unversioned' | 'Enabled' | 'Suspended' = 'Unversioned';
  const markers = new Set<string>();
  /** Whether the key's current version is a delete marker, as moto lists it. */
  const currentIsMarker = async (k: string) =>
    ((await listObjectVersions(client, { Bucket: bucket, Prefix: k })).DeleteMarkers ?? []).some(
      (marker) => marker.Key === k && marker.IsLatest,
    );
  // A suspended bucket's writes make the `null` version, whether or not the answer names it.
  const remember = (k: string, id: string | undefined) => {
    const version = id ?? (state === 'Suspended' ? 'null' : undefined);
    if (version !== undefined) versions.set(k, [...(versions.get(k) ?? []), version]);
  };
  const attempt = async (work: () => Promise<Outcome>) => {
    try {
      return await work();
    } catch (error) {
      return failure(error);
    }
  };
  return {
    versions,
    run: (o, versionOf) =>
      attempt(async () => {
        switch (o.kind) {
          case 'put': {
            const answer = await client.send(
              new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: BODIES[o.body] }),
            );
            remember(o.key, answer.VersionId);
            return { ok: true, hasVersionId: answer.VersionId !== undefined };
          }
          case 'delete': {
            const answer = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
            remember(o.key, answer.VersionId);
            if (answer.DeleteMarker && answer.VersionId) markers.add(answer.VersionId);
            return { ok: true, deleteMarker: answer.DeleteMarker === true };
          }
          case 'deleteVersion': {
            const id = versionOf(o.key, o.ref);
            if (id === undefined) return { ok: 'skipped' };
            const answer = await client.send(
              new DeleteObjectCommand({ Bucket: bucket, Key: o.key, VersionId: id }),
            );
            // moto's deviation (recorded below): deleting a delete marker by its version answers
            // without `x-amz-delete-marker: true`, which S3 sends (DeleteObject, API reference).
            return { ok: true, deleteMarker: answer.DeleteMarker === true || markers.has(id) };
          }
          case 'head':
          case 'get': {
            const input = addressed(bucket, o, versionOf);
            if (!input) return { ok: 'skipped' };
            const id = input.VersionId;
            if (o.kind === 'head') {
              const head = await client.send(new HeadObjectCommand(input));
              // moto's deviation (recorded below): no version id for a null version; S3 answers `null`.
              const named = head.VersionId !== undefined || state !== 'Unversioned';
              return { ok: true, eTag: head.ETag, size: head.ContentLength, hasVersionId: named };
            }
            const range = `bytes=${o.first}-${o.first + o.length - 1}`;
            // moto's deviation (recorded below): a GET of a delete marker's version answers 404; S3 405.
            if (id !== undefined && markers.has(id)) return { ok: false, status: 405 };
            const got = await client.send(new GetObjectCommand({ ...input, Range: range }));
            return {
              ok: true,
              eTag: got.ETag,
              bytes: Buffer.from((await got.Body?.transformToByteArray()) ?? []).toString(),
            };
          }
          case 'getIfMatch': {
            const got = await client.send(
              new GetObjectCommand({
                Bucket: bucket,
                Key: o.key,
                IfMatch: `"${md5(BODIES[o.body] as Buffer)}"`,
              }),
            );
            await got.Body?.transformToByteArray();
            return { ok: true, eTag: got.ETag };
          }
          case 'copyIfMatch': {
            // moto copies whatever x-amz-copy-source-if-match says (the deviation test below); S3
            // answers 412 PreconditionFailed when the source's ETag differs (CopyObject, API
            // reference), so that is the answer expected here.
            const wanted = `"${md5(BODIES[o.body] as Buffer)}"`;
            const source = await client
              .send(new HeadObjectCommand({ Bucket: bucket, Key: o.key }))
              .catch((error: unknown) => error as Error);
            if (!(source instanceof Error) && source.ETag !== wanted) return { ok: false, status: 412 };
            await client.send(
              new CopyObjectCommand({
                Bucket: `${bucket}-copies`,
                Key: o.key,
                CopySource: `${bucket}/${o.key}`,
                CopySourceIfMatch: `"${md5(BODIES[o.body] as Buffer)}"`,
              }),
            );
            return { ok: true };
          }
          case 'putTags':
          case 'getTags': {
            const input = addressed(bucket, o, versionOf);
            if (!input) return { ok: 'skipped' };
            const id = input.VersionId;
            if (o.kind === 'getTags') {
              // moto's deviation (recorded below): GetObjectTagging of a key whose current version is
              // a delete marker answers 404 there; S3 answers 405, as moto's PutObjectTagging does.
              if (id === undefined && (await currentIsMarker(o.key))) return { ok: false, status: 405 };
              return {
                ok: true,
                tags: tagList((await client.send(new GetObjectTaggingCommand(input))).TagSet),
              };
            }
            await client.send(
              new PutObjectTaggingCommand({ ...input, Tagging: { TagSet: [{ Key: 't', Value: o.value }] } }),
            );
            return { ok: true };
          }
          case 'listVersions':
            // The backfill's own reader of the answer (listing-answers.js), as `backfill` pages.
            return listedVersions(
              (marker) => listObjectVersions(client, { Bucket: bucket, MaxKeys: o.maxKeys, ...marker }),
              versionLabel(versions),
            );
          case 'versioning':
            await client.send(
              new PutBucketVersioningCommand({
                Bucket: bucket,
                VersioningConfiguration: { Status: o.state },
              }),
            );
            state = o.state;
            return { ok: true };
        }
      }),
  };
}

describe.runIf(MOTO)('the in-memory S3 against moto', () => {
  let moto: ChildProcess;
  let client: S3Client;
  let runs = 0;
  beforeAll(async () => {
    // A free port, asked of the system; should moto still fail to start there, another one.
    for (let attempt = 1; !client; attempt++) {
      const port = await freeLoopbackPort();
      moto = spawn(MOTO as string, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      const exited = new AbortController();
      moto.once('exit', () => exited.abort(new Error(`moto_server exited (port ${port})`)));
      const endpoint = `http://127.0.0.1:${port}`;
      try {
        await waitFor('moto_server to answer', async () => (await fetch(endpoint)).ok, {
          timeoutMs: 30_000,
          intervalMs: 200,
          signal: exited.signal,
        });
      } catch (error) {
        moto.kill();
        if (attempt === 3) throw error;
        continue;
      }
      client = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
    }
  }, 40_000);
  afterAll(() => {
    client?.destroy();
    moto?.kill();
  });

  /** A versioned bucket on moto whose key `k` has one version under a delete marker. */
  const motoKeyBehindMarker = async (name: string) => {
    const bucket = `${name}-${Date.now()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: BODIES[0] }));
    const marker = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    return { bucket, marker };
  };
  /** The same on the in-memory S3 (bucket `b`). */
  const ourKeyBehindMarker = () => {
    const ours = new InMemoryS3();
    ours.setVersioning('b', 'Enabled');
    ours.putObject('b', 'k', { eTag: md5(BODIES[0] as Buffer), size: 5 });
    return { ours, ourMarker: ours.deleteObject('b', 'k') };
  };

  it("moto's deviation, recorded: it ignores CopySource-If-Match (S3 answers 412)", async () => {
    const bucket = `deviation-${Date.now()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: BODIES[0] }));
    const copy = client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy',
        CopySource: `${bucket}/k`,
        CopySourceIfMatch: '"0"',
      }),
    );
    // If moto starts answering 412, this fails: take the special case out of the harness.
    await expect(copy).resolves.toBeDefined();
    const ours = new InMemoryS3();
    ours.putObject('b', 'k', { eTag: md5(BODIES[0] as Buffer), size: 5 });
    expect(() =>
      ours.copyObject({ Bucket: 'c', Key: 'copy', CopySource: 'b/k', CopySourceIfMatch: '"0"' }),
    ).toThrow(expect.objectContaining({ $metadata: { httpStatusCode: 412 } }));
  });

  it("moto's deviation, recorded: a DELETE of a key that never existed makes no delete marker in a bucket with versioning on or suspended (S3 makes one)", async () => {
    const bucket = `deviation-marker-${Date.now()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const answer = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'never' }));
    // If moto starts answering with a marker, this fails: take the skip out of the harness.
    expect(answer.DeleteMarker ?? false).toBe(false);
    const ours = new InMemoryS3();
    ours.setVersioning('b', 'Enabled');
    expect(ours.deleteObject('b', 'never')).toMatchObject({ deleteMarker: true });
  });

  it("moto's deviation, recorded: a DELETE in a suspended bucket makes no null delete marker (S3 makes one)", async () => {
    const bucket = `deviation-suspended-${Date.now()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }),
    );
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: BODIES[0] }));
    const answer = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(answer.DeleteMarker ?? false).toBe(false);
    const ours = new InMemoryS3();
    ours.setVersioning('b', 'Suspended');
    ours.putObject('b', 'k', { eTag: md5(BODIES[0] as Buffer), size: 5 });
    expect(ours.deleteObject('b', 'k')).toEqual({ versionId: 'null', deleteMarker: true });
  });

  it("moto's deviation, recorded: it refuses versionId=null (S3 addresses the null version with it)", async () => {
    const bucket = `deviation-null-id-${Date.now()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: BODIES[0] }));
    await expect(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'null' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    const ours = new InMemoryS3();
    ours.setVersioning('b', 'Suspended');
    ours.putObject('b', 'k', { eTag: md5(BODIES[0] as Buffer), size: 5 });
    expect(ours.headObject({ Bucket: 'b', Key: 'k', VersionId: 'null' }).ContentLength).toBe(5);
  });

  it("moto's deviation, recorded: a GET by a delete marker's version answers 404 (S3 answers 405)", async () => {
    const { bucket, marker } = await motoKeyBehindMarker('deviation-marker-get');
    await expect(
      client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: marker.VersionId })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const { ours, ourMarker } = ourKeyBehindMarker();
    expect(() => ours.getObject({ Bucket: 'b', Key: 'k', VersionId: ourMarker.versionId })).toThrow(
      expect.objectContaining({ $metadata: { httpStatusCode: 405 } }),
    );
  });

  it("moto's deviation, recorded: deleting a delete marker by its version does not say it was one (S3 answers x-amz-delete-marker: true)", async () => {
    const { bucket, marker } = await motoKeyBehindMarker('deviation-marker-delete');
    const answer = await client.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: marker.VersionId }),
    );
    // If moto starts answering true, this fails: take the special case out of the harness.
    expect(answer.DeleteMarker ?? false).toBe(false);
    const { ours, ourMarker } = ourKeyBehindMarker();
    expect(ours.deleteObject('b', 'k', ourMarker.versionId)).toMatchObject({ deleteMarker: true });
  });

  it("moto's deviation, recorded: GetObjectTagging of a key whose current version is a delete marker answers 404 (S3 answers 405)", async () => {
    // S3's answer, as reproduced on AWS in localstack/localstack#11180 (and as moto's own
    // PutObjectTagging answers since getmoto/moto#9422): a delete marker holds no tags, 405.
    const { bucket } = await motoKeyBehindMarker('deviation-marker-tags');
    // If moto starts answering 405, this fails: take the special case out of the harness.
    await expect(
      client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'k' })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      client.send(
        new PutObjectTaggingCommand({
          Bucket: bucket,
          Key: 'k',
          Tagging: { TagSet: [{ Key: 't', Value: 'x' }] },
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 405 } });
    const { ours } = ourKeyBehindMarker();
    expect(() => ours.getObjectTagging({ Bucket: 'b', Key: 'k' })).toThrow(
      expect.objectContaining({ $metadata: { httpStatusCode: 405 } }),
    );
  });

  it('answers every sequence of operations as moto does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        runs += 1;
        const bucket = `diff-${runs}-${Date.now()}`;
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        await client.send(new CreateBucketCommand({ Bucket: `${bucket}-copies` }));
        const ours = memoryWorld();
        const theirs = motoWorld(client, bucket);
        let versioning = 'Unversioned';
        for (const [index, each] of ops.entries()) {
          if (each.kind === 'versioning') versioning = each.state;
          // moto's deviations (recorded below): no delete marker for a key that never existed, and
          // none in a suspended bucket; those deletes are left out of the comparison.
          if (
            each.kind === 'delete' &&
            (versioning === 'Suspended' || (versioning === 'Enabled' && !ours.exists?.(each.key)))
          )
            continue;
          // moto's deviation (recorded below): it refuses `versionId=null` (400), which S3 takes as the
          // null version; calls by that id are left out of the comparison.
          const pick = (world: World) => (k: string, r: number) => {
            const list = world.versions.get(k) ?? [];
            const id = list.length === 0 ? undefined : list[r % list.length];
            return id === 'null' ? undefined : id;
          };
          const expected = await theirs.run(each, pick(theirs));
          const actual = await ours.run(each, pick(ours));
          expect({ step: index, op: each, answer: actual }).toEqual({
            step: index,
            op: each,
            answer: expected,
          });
        }
        // Last, the whole bucket as both list it, a page of one entry at a time, and each key's tags.
        const finalOps: Op[] = [
          { kind: 'listVersions', maxKeys: 1 },
          ...KEYS.map((k): Op => ({ kind: 'getTags', key: k, ref: null })),
        ];
        for (const each of finalOps) {
          const expected = await theirs.run(each, () => undefined);
          const actual = await ours.run(each, () => undefined);
          expect({ step: 'last', op: each, answer: actual }).toEqual({
            step: 'last',
            op: each,
            answer: expected,
          });
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  }, 120_000);
});
