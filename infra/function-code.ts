import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Code, type FunctionOptions, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { BACKFILL_ENTRY, EVENTS_ENTRY, FUNCTION_BUNDLING, WORKER_ENTRY } from './worker-bundling.js';

/** The functions s3-ingest deploys, by the name of their bundle's folder in the packed package. */
export const FUNCTION_ENTRIES = {
  worker: WORKER_ENTRY,
  backfill: BACKFILL_ENTRY,
  events: EVENTS_ENTRY,
} as const;

export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/**
 * Where the packed package carries each function's built bundle (`dist/functions/<name>/index.mjs`
 * beside `dist/infra/`). In the repository this folder does not exist: `infra/` sits beside
 * `src/`, and the function is bundled from its sources at synth.
 */
export const SHIPPED_FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/** The folder of a function's shipped bundle, when this module runs from the packed package. */
export function shippedBundleDir(name: FunctionName): string | undefined {
  const dir = join(SHIPPED_FUNCTIONS_DIR, name);
  return existsSync(join(dir, 'index.mjs')) ? dir : undefined;
}

/**
 * A Node.js 24 function running one of s3-ingest's bundles: from the packed package, its built
 * bundle as the code asset (no esbuild or TypeScript at the consumer); in the repository, bundled
 * from the sources by `NodejsFunction` with the same esbuild options (`FUNCTION_BUNDLING`).
 */
export function bundledFunction(
  scope: Construct,
  id: string,
  name: FunctionName,
  options: FunctionOptions,
): LambdaFunction {
  const shipped = shippedBundleDir(name);
  if (shipped) {
    return new LambdaFunction(scope, id, {
      ...options,
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromAsset(shipped),
    });
  }
  return new NodejsFunction(scope, id, {
    ...options,
    entry: FUNCTION_ENTRIES[name],
    handler: 'handler',
    runtime: Runtime.NODEJS_24_X,
    bundling: FUNCTION_BUNDLING,
  });
}
