import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How the worker is bundled: the one source for the CDK stack's `NodejsFunction`s, the local
 * stack's bundle runtime (`npm start`) and `npm run bench`, so what runs locally and what the
 * benchmark measures is what deploys.
 */

/** The Lambda entry point. */
export const WORKER_ENTRY = 'src/handler.ts';

/** The upload events publisher's entry point (the upload log's stream to the events topic). */
export const EVENTS_ENTRY = 'src/events-handler.ts';

/** The optional S3 Batch Operations backfill function's entry point; bundled with the worker's settings. */
export const BACKFILL_ENTRY = 'src/backfill-handler.ts';

/**
 * Nothing is left out: the pinned AWS SDK is bundled, so what runs is what the tests ran, and
 * one minified file imports faster than the runtime's SDK spread over many files (measured by
 * `npm run bench`: ~125 ms against ~290 ms).
 */
export const WORKER_EXTERNAL_MODULES: string[] = [];

/** ESM entry points first: the SDK's `dist-es` builds tree-shake, its `dist-cjs` bundles do not (558 KB vs 821 KB). */
export const WORKER_MAIN_FIELDS = ['module', 'main'];

/** Lets CommonJS dependencies inside the ESM bundle call `require`. */
export const WORKER_ESM_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** esbuild target matching the Lambda runtime. */
export const WORKER_TARGET = 'node24';

/** How every function of the stack is bundled by the CDK: minified ESM with source maps, the pinned SDK inside. */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  target: WORKER_TARGET,
  mainFields: WORKER_MAIN_FIELDS,
  externalModules: WORKER_EXTERNAL_MODULES,
  banner: WORKER_ESM_BANNER,
};

/**
 * The esbuild options `NodejsFunction` derives from {@link FUNCTION_BUNDLING} (it bundles for the
 * node platform into `index.mjs` for ESM), for building the same bundle without the CDK.
 */
export function esbuildOptionsOf(entry: string, bundling: BundlingOptions = FUNCTION_BUNDLING): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    ...(bundling.target !== undefined && { target: bundling.target }),
    ...(bundling.mainFields !== undefined && { mainFields: bundling.mainFields }),
    external: bundling.externalModules ?? ['@aws-sdk/*'],
    ...(bundling.banner !== undefined && { banner: { js: bundling.banner } }),
  };
}
