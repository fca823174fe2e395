import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import {
  WORKER_ESM_BANNER,
  WORKER_EXTERNAL_MODULES,
  WORKER_MAIN_FIELDS,
  WORKER_TARGET,
} from '../worker-bundling.js';

/** How every function of the stack is bundled: minified ESM with source maps, the pinned SDK inside. */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  target: WORKER_TARGET,
  mainFields: WORKER_MAIN_FIELDS,
  externalModules: WORKER_EXTERNAL_MODULES,
  banner: WORKER_ESM_BANNER,
};
