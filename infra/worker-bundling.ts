/**
 * How the worker is bundled, shared by the CDK stack and `npm run bench` so the benchmark
 * measures what is deployed.
 */

/** The Lambda entry point. */
export const WORKER_ENTRY = 'src/handler.ts';

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
export const WORKER_TARGET = 'node22';
