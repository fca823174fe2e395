import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../tools/tool-error.js';
import { PROJECT_ROOT } from './bundle.js';
import type { CfnTemplate } from './template-settings.js';

/**
 * CDK context the local stack synthesizes with, under the user's own `-c` keys: a copy destination
 * (so copies can be watched) and blocked extensions (so `--demo` shows a rejection).
 */
export const LOCAL_CONTEXT: Readonly<Record<string, string>> = {
  copyDestination: 'true',
  blockedExtensions: 'exe,bat,cmd,scr',
};

const CACHE_DIR = join(PROJECT_ROOT, '.local', 'runtime', 'templates');

/** Every file a synth reads from this repository, so a change to any of them synthesizes again. */
async function sourceHash(context: Readonly<Record<string, unknown>>): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(context));
  for (const dir of ['infra', 'src']) {
    const files = (await readdir(join(PROJECT_ROOT, dir), { recursive: true }))
      .filter((file) => file.endsWith('.ts'))
      .sort();
    for (const file of files) hash.update(file).update(await readFile(join(PROJECT_ROOT, dir, file)));
  }
  for (const file of ['cdk.json', 'package-lock.json']) hash.update(await readFile(join(PROJECT_ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The stack's template as `cdk synth` makes it (cdk.json's feature flags, cdk-nag, the worker's
 * own setting checks), with {@link LOCAL_CONTEXT} and `context` on top; assets are not bundled.
 * Kept under `.local/runtime/templates` by the hash of the sources, since a synth takes seconds.
 *
 * @throws {Error} for what `cdk synth` refuses: an unknown key, a setting the worker would reject
 */
export async function synthesizeLocalTemplate(
  context: Readonly<Record<string, string>> = {},
): Promise<CfnTemplate> {
  const cdkJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const fullContext = { ...cdkJson.context, ...LOCAL_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] };
  const cached = join(CACHE_DIR, `${await sourceHash(fullContext)}.json`);
  try {
    return JSON.parse(await readFile(cached, 'utf8')) as CfnTemplate;
  } catch {
    // Not synthesized yet with these sources and this context.
  }
  const { buildApp } = await import('../../../infra/build-app.js');
  const outdir = await mkdtemp(join(tmpdir(), 's3-ingest-synth-'));
  try {
    let assembly: ReturnType<ReturnType<typeof buildApp>['synth']>;
    try {
      assembly = buildApp({ context: fullContext, outdir }).synth();
    } catch (error) {
      // With context from the command line, a synth that fails is that context's fault.
      const message = `the stack does not synthesize: ${(error as Error).message.split('\n')[0]}`;
      throw Object.keys(context).length > 0
        ? new UsageError(message, { cause: error })
        : new Error(message, { cause: error });
    }
    const stack = assembly.stacks[0];
    if (!stack) throw new Error('the CDK app synthesized no stack');
    const template = stack.template as CfnTemplate;
    await mkdir(CACHE_DIR, { recursive: true });
    const staging = `${cached}.${process.pid}`;
    await writeFile(staging, JSON.stringify(template));
    await rename(staging, cached);
    return template;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
