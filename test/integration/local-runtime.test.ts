import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { buildWorkerBundle, PROJECT_ROOT, watchWorkerBundle } from '../../src/local/lambda/bundle.js';
import { LAMBDA_NODE_MAJOR } from '../../src/local/lambda/node-runtime.js';
import { synthesizeLocalTemplate } from '../../src/local/lambda/synthesized-stack.js';
import { workerSettingsOf } from '../../src/local/lambda/template-settings.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { drained, uploadLogReader } from '../support/pipeline.js';

// The local runtime runs what deploys: the CDK's bundle, with the synthesized stack's settings.

let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
});

describe('the local bundle runtime', () => {
  it('builds the bundle the CDK deploys, byte for byte', async () => {
    const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    };
    const outdir = mkdtempSync(join(tmpdir(), 's3-ingest-cdk-'));
    const assembly = buildApp({ context: cdkJson.context, outdir }).synth();
    const template = assembly.stacks[0]?.template as Parameters<typeof workerSettingsOf>[0];
    const worker = template.Resources[workerSettingsOf(template).functionLogicalId];
    const code = worker?.Properties?.Code as { S3Key?: string } | undefined;
    const assetKey = String(code?.S3Key).replace(/\.zip$/, '');
    const assetDir = readdirSync(outdir).find((name) => name === `asset.${assetKey}`);
    if (!assetDir) throw new Error(`no asset ${assetKey} in ${outdir}`);
    const deployed = await readFile(join(outdir, assetDir, 'index.mjs'));
    const local = await readFile((await buildWorkerBundle()).file);
    expect(local.byteLength).toBeGreaterThan(100_000);
    expect(local.equals(deployed)).toBe(true);
  }, 120_000);

  it('runs with the settings the template gives it: a change in the CDK context reaches the run (on Node.js 24, the Lambda runtime)', async () => {
    stack = await startLocalStack({
      s3Port: 0,
      dynamodbPort: 0,
      node: String(LAMBDA_NODE_MAJOR),
      context: { workerTimeoutSeconds: '2', batchSize: '4', maxObjectBytes: '5' },
      worker: { batchingWindowMs: 0 },
      workerOutput: () => undefined,
    });
    const running = stack;
    expect(running.description.settings?.runtime).toMatchObject({
      mode: 'bundle',
      node: expect.stringMatching(new RegExp(`^v${LAMBDA_NODE_MAJOR}\\.`)),
      timeoutSeconds: 2,
      batchSize: 4,
      // Lambda's rule, as the stack computes it: 6 x the 2 s timeout + the template's 1 s batching window.
      visibilityTimeoutSeconds: 13,
      maxReceiveCount: 5,
      memorySize: 1024,
      reportBatchItemFailures: true,
    });
    expect(running.description.settings?.workerEnv).toMatchObject({ MAX_OBJECT_BYTES: '5' });
    const put = (key: string, body: string) =>
      running.clients.s3.send(
        new PutObjectCommand({ Bucket: running.names.uploadsBucket, Key: key, Body: body }),
      );
    await put('runtime/small.txt', 'tiny');
    await put('runtime/large.txt', 'too large');
    await drained(running, 30_000);
    const log = uploadLogReader(running);
    expect(await log.uploadsOf('runtime/small.txt')).toMatchObject([{ status: 'STORED' }]);
    expect(await log.uploadsOf('runtime/large.txt')).toMatchObject([
      { status: 'REJECTED', reason: expect.stringContaining('5') },
    ]);
  }, 120_000);

  it('refuses CDK context that cdk synth refuses, naming the key', async () => {
    await expect(synthesizeLocalTemplate({ batchSiz: '5' })).rejects.toThrow(
      /unknown context key batchSiz \(did you mean batchSize\?\)/,
    );
  });

  it('rebuilds the bundle when a source it was built from changes', async () => {
    const entry = join(mkdtempSync(join(tmpdir(), 's3-ingest-watch-')), 'handler.ts');
    writeFileSync(entry, 'export const handler = async () => ({ batchItemFailures: [], version: 1 });\n');
    const rebuilt: string[] = [];
    const watched = await watchWorkerBundle({
      entry,
      onRebuild: (bundle) => rebuilt.push(bundle.file),
      onError: (message) => rebuilt.push(`error: ${message}`),
    });
    try {
      writeFileSync(entry, 'export const handler = async () => ({ batchItemFailures: [], version: 2 });\n');
      await waitFor('the bundle to be rebuilt', () => rebuilt.length > 0, { timeoutMs: 20_000 });
      expect(rebuilt[0]).not.toBe(watched.first.file);
      expect(readFileSync(String(rebuilt[0]), 'utf8')).toContain('version:2');
    } finally {
      await watched.stop();
    }
  });
});
