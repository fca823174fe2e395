import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packConstruct } from '../../scripts/pack-construct.js';
import { buildWorkerBundle, PROJECT_ROOT } from '../../src/local/lambda/bundle.js';
import { CFN_LINT_VERSION, lint, unexplainedFindings } from '../support/cfn-lint.js';

// A CDK app outside the repository that uses S3Ingest as a user would: from the packed tarball,
// installed offline (the tarball unpacked, its peer dependencies from this checkout's node_modules),
// type-checked against the package's .d.ts and run by plain Node.js: no tsx, no esbuild, no sources.

/** The consumer's app: two buckets of its own (notifications, EventBridge) and an imported one. */
const APP = `
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { S3Ingest } from 's3-ingest/infra';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ConsumerStack', { env: { account: '123456789012', region: 'eu-west-1' } });
const secure = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.RETAIN,
};
// Its buckets log nowhere, so that the construct's own access-log bucket meets the app's default flags.
const photos = new Bucket(stack, 'Photos', secure);
const documents = new Bucket(stack, 'Documents', secure);
for (const bucket of [photos, documents]) {
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'A test bucket of the consumer.' });
}
const shared = Bucket.fromBucketName(stack, 'Shared', 'shared-team-bucket');
const ingest = new S3Ingest(stack, 'Ingest', {
  buckets: [
    { bucket: photos },
    { bucket: documents, source: 'eventbridge' },
    { bucket: shared, source: 'eventbridge' },
  ],
  copyDestination: true,
  alarmEmail: 'oncall@example.com',
});
// The members a user wires further are typed.
const wired: string[] = [ingest.queues.queue.queueArn, ingest.worker.function.functionArn, ingest.alarms.topic.topicArn];
void wired;
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
`;

function run(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({
        status: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
        output: `${stdout}${stderr}`,
      });
    });
  });
}

type Resource = { Type: string; Properties?: Record<string, unknown> };
let tarball: string;
let consumer: string;
let outdir: string;
let synth: { status: number; output: string };
let template: { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };

beforeAll(async () => {
  tarball = packConstruct();
  consumer = mkdtempSync(join(tmpdir(), 's3-ingest-consumer-'));
  const modules = join(consumer, 'node_modules');
  mkdirSync(join(modules, 's3-ingest'), { recursive: true });
  // npm install of a tarball, offline: unpack it; the peers (and the app's own cdk-nag) as installed here.
  const unpacked = await run(
    'tar',
    ['-xzf', tarball, '-C', join(modules, 's3-ingest'), '--strip-components=1'],
    consumer,
  );
  if (unpacked.status !== 0) throw new Error(unpacked.output);
  mkdirSync(join(modules, '@types'));
  for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag', '@types/node']) {
    symlinkSync(join(PROJECT_ROOT, 'node_modules', name), join(modules, name));
  }
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
        outDir: 'out',
      },
      files: ['app.ts'],
    }),
  );
  writeFileSync(join(consumer, 'app.ts'), APP);
  const compiled = await run(
    join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'),
    ['-p', 'tsconfig.json'],
    consumer,
  );
  if (compiled.status !== 0) throw new Error(`the consumer app does not type-check:\n${compiled.output}`);
  outdir = join(consumer, 'cdk.out');
  synth = await run(process.execPath, [join('out', 'app.js'), outdir], consumer);
  template =
    synth.status === 0
      ? JSON.parse(readFileSync(join(outdir, 'ConsumerStack.template.json'), 'utf8'))
      : { Resources: {} };
}, 240_000);

const resources = (type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

describe('a CDK app outside the repository, from the packed tarball', () => {
  it('packs the compiled construct, its types and the built bundles, and nothing else', async () => {
    const listing = await run('tar', ['-tzf', tarball], consumer);
    const files = listing.output.trim().split('\n');
    expect(files).toContain('package/lib/infra/index.js');
    expect(files).toContain('package/lib/infra/index.d.ts');
    expect(files).toContain('package/lib/functions/worker/index.mjs');
    expect(files).toContain('package/lib/functions/backfill/index.mjs');
    expect(files.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => /test|\.test\.|loadtest|console|cli/.test(file))).toEqual([]);
    const manifest = JSON.parse(
      readFileSync(join(consumer, 'node_modules', 's3-ingest', 'package.json'), 'utf8'),
    );
    expect(manifest).toMatchObject({
      exports: { '.': { types: './lib/infra/index.d.ts' }, './infra': { default: './lib/infra/index.js' } },
      peerDependencies: { 'aws-cdk-lib': '^2.275.0', constructs: expect.stringMatching(/^\^10\./) },
    });
    expect(manifest).not.toHaveProperty('dependencies');
  });

  it('synthesizes with plain Node.js, cdk-nag clean', () => {
    expect(synth.output).not.toMatch(/AwsSolutions-|Serverless-/);
    expect(synth.status).toBe(0);
  });

  it('deploys the bundle the local runtime runs, byte for byte', async () => {
    const [, worker] =
      resources('AWS::Lambda::Function').find(([id]) => id.startsWith('IngestWorkerFunction')) ?? [];
    expect(worker?.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler' });
    const code = worker?.Properties?.Code as { S3Key?: string } | undefined;
    const assetKey = String(code?.S3Key).replace(/\.zip$/, '');
    const assetDir = readdirSync(outdir).find((name) => name === `asset.${assetKey}`);
    expect(assetDir).toBeDefined();
    const deployed = await readFile(join(outdir, String(assetDir), 'index.mjs'));
    const local = await readFile((await buildWorkerBundle()).file);
    expect(deployed.equals(local)).toBe(true);
  });

  it('hears the two buckets of the app and the imported one, each as asked', () => {
    const rules = resources('AWS::Events::Rule');
    expect(rules).toHaveLength(2);
    const buckets = rules.map(([, rule]) =>
      JSON.stringify((rule.Properties?.EventPattern as { detail?: unknown } | undefined)?.detail),
    );
    expect(buckets.some((detail) => detail.includes('Documents'))).toBe(true);
    expect(buckets.some((detail) => detail.includes('shared-team-bucket'))).toBe(true);
    const configurations = resources('Custom::S3BucketNotifications').map(([, resource]) => ({
      bucket: JSON.stringify(resource.Properties?.BucketName),
      configuration: resource.Properties?.NotificationConfiguration as Record<string, unknown>,
    }));
    expect(configurations.find((entry) => entry.bucket.includes('Photos'))?.configuration).toHaveProperty(
      'QueueConfigurations',
    );
    expect(configurations.find((entry) => entry.bucket.includes('Documents'))?.configuration).toEqual({
      EventBridgeConfiguration: {},
    });
    expect(configurations.map((entry) => entry.bucket).join()).not.toContain('shared-team-bucket');
    // The annotation the CDK CLI prints, in the assembly.
    expect(readFileSync(join(outdir, 'ConsumerStack.metadata.json'), 'utf8')).toContain(
      'shared-team-bucket is heard through EventBridge',
    );
  });

  it.runIf(CFN_LINT_VERSION)(
    'passes cfn-lint',
    async () => {
      const file = join(outdir, 'ConsumerStack.template.json');
      expect(existsSync(file)).toBe(true);
      expect(unexplainedFindings(await lint([file]), file)).toEqual([]);
    },
    120_000,
  );
});
