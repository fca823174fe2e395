import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, type BuildResult, build, context, type OutputFile } from 'esbuild';
import { esbuildOptionsOf, WORKER_ENTRY } from '../../../infra/worker-bundling.js';

/** The repository's root, where the CDK bundles from (entries and `node_modules` resolve from it). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where built bundles are kept, one directory per content hash (never rewritten, so safe to share). */
export const BUNDLE_DIR = join(PROJECT_ROOT, '.local', 'runtime', 'bundles');

/** A built worker bundle: `index.mjs` (and its source map) in a directory named by its content. */
export interface WorkerBundle {
  /** Absolute path of `index.mjs`. */
  readonly file: string;
  /** sha256 of `index.mjs` and its source map, first 16 hex digits. */
  readonly hash: string;
  readonly bytes: number;
}

function optionsFor(entry: string): BuildOptions {
  return {
    ...esbuildOptionsOf(entry),
    absWorkingDir: PROJECT_ROOT,
    // As NodejsFunction names it, so the source map comment and stack traces read the same.
    outfile: join(BUNDLE_DIR, 'out', 'index.mjs'),
    write: false,
    logLevel: 'silent',
  };
}

/** Writes a build's output files under a directory named by the bundle's hash, unless they are there already. */
async function keep(outputFiles: readonly OutputFile[]): Promise<WorkerBundle> {
  const main = outputFiles.find((file) => file.path.endsWith('.mjs'));
  if (!main) throw new Error('esbuild wrote no .mjs file for the worker');
  // The source map too: where it points depends on where the bundle was built for.
  const digest = createHash('sha256');
  for (const output of outputFiles) digest.update(output.contents);
  const hash = digest.digest('hex').slice(0, 16);
  const dir = join(BUNDLE_DIR, hash);
  const file = join(dir, 'index.mjs');
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) {
    // Written beside, then renamed: a reader (another test file's stack) never sees half a bundle.
    const staging = `${dir}.${process.pid}.${Date.now()}`;
    await mkdir(staging, { recursive: true });
    for (const output of outputFiles) await writeFile(join(staging, basename(output.path)), output.contents);
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process kept the same bundle first: theirs is identical.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  }
  return { file, hash, bytes: main.contents.byteLength };
}

/** Builds the worker bundle exactly as the CDK does (`infra/worker-bundling.ts`). */
export async function buildWorkerBundle(entry = WORKER_ENTRY): Promise<WorkerBundle> {
  const result = await build(optionsFor(entry));
  return keep(result.outputFiles ?? []);
}

/** A bundle kept up to date with the source. */
export interface WatchedBundle {
  readonly first: WorkerBundle;
  stop(): Promise<void>;
}

/**
 * Builds the worker bundle and rebuilds it whenever a file it was built from changes (`npm start`).
 * A rebuild that fails is reported and the previous bundle stays in use.
 */
export async function watchWorkerBundle(handlers: {
  onRebuild(bundle: WorkerBundle): void;
  onError(message: string): void;
  /** @default the worker's entry point */
  entry?: string;
}): Promise<WatchedBundle> {
  let current: WorkerBundle | undefined;
  let resolveFirst: (bundle: WorkerBundle) => void = () => undefined;
  let rejectFirst: (error: Error) => void = () => undefined;
  const firstBuilt = new Promise<WorkerBundle>((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  const watcher = await context({
    ...optionsFor(handlers.entry ?? WORKER_ENTRY),
    plugins: [
      {
        name: 'keep-worker-bundle',
        setup(builder) {
          builder.onEnd(async (result: BuildResult) => {
            if (result.errors.length > 0) {
              const message = result.errors.map((error) => error.text).join('; ');
              if (current) handlers.onError(message);
              else rejectFirst(new Error(`the worker does not bundle: ${message}`));
              return;
            }
            const bundle = await keep(result.outputFiles ?? []);
            if (!current) {
              current = bundle;
              resolveFirst(bundle);
            } else if (bundle.hash !== current.hash) {
              current = bundle;
              handlers.onRebuild(bundle);
            }
          });
        },
      },
    ],
  });
  await watcher.watch();
  try {
    return { first: await firstBuilt, stop: () => watcher.dispose() };
  } catch (error) {
    await watcher.dispose();
    throw error;
  }
}
