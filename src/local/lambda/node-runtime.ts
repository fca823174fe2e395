import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../tools/tool-error.js';
import { PROJECT_ROOT } from './bundle.js';

/** A Node.js binary that execution environments run on. */
export interface NodeRuntime {
  readonly path: string;
  /** `v24.22.3`. */
  readonly version: string;
}

/** Where the root package's postinstall puts Node.js 24 (the `node-<os>-<arch>` package of the npm registry). */
export const LAMBDA_NODE_PATH = join(
  PROJECT_ROOT,
  'tools',
  'lambda-node',
  'node_modules',
  `node-${process.platform}-${process.arch}`,
  'bin',
  'node',
);

/** The major version the Lambda runs (the stack's `nodejs24.x`). */
export const LAMBDA_NODE_MAJOR = 24;

/**
 * The Node.js to run execution environments on: `undefined` or `current` for the one running this
 * process, `24` for the Lambda's version installed by `npm ci`, or a path to a binary.
 *
 * @throws {UsageError} when the version asked for is not installed or not a Node.js
 */
export function resolveNodeRuntime(spec: string | undefined): NodeRuntime {
  if (spec === undefined || spec === 'current' || spec === process.version.slice(1).split('.')[0]) {
    return { path: process.execPath, version: process.version };
  }
  const path = spec === String(LAMBDA_NODE_MAJOR) ? LAMBDA_NODE_PATH : spec;
  if (spec === String(LAMBDA_NODE_MAJOR) && !existsSync(path)) {
    throw new UsageError(
      `Node.js ${LAMBDA_NODE_MAJOR} is not installed at ${path}: npm ci installs it (tools/lambda-node) on linux x64 and arm64`,
    );
  }
  if (!/^\d+$/.test(spec) || spec === String(LAMBDA_NODE_MAJOR)) {
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
      return { path, version };
    } catch (error) {
      throw new UsageError(`--node ${spec}: ${path} does not run as Node.js (${(error as Error).message})`);
    }
  }
  throw new UsageError(
    `--node must be current, ${LAMBDA_NODE_MAJOR} (the Lambda's version) or a path to a node binary, got "${spec}"`,
  );
}

/** Whether Node.js 24 is installed where {@link resolveNodeRuntime} looks for it. */
export const lambdaNodeInstalled = (): boolean => existsSync(LAMBDA_NODE_PATH);
