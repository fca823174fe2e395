import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm start` run as a child process, as a user runs it, with its state in a fresh directory. */
export interface NpmStart {
  /** Its `stack.json`; `worker-metrics.ndjson` is beside it. */
  readonly stackFile: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Ctrl-C, then the exit code. */
  interrupt(): Promise<number | null>;
  /** The exit code, once it exits by itself. */
  readonly exited: Promise<number | null>;
  /** Kills it if it still runs (for `afterAll`). */
  kill(): void;
}

/**
 * Starts `s3-ingest start` (what `npm start` runs) on free ports with `args` added.
 *
 * @param stateDir - its LOCAL_STATE_DIR @default a fresh directory
 */
export function spawnNpmStart(
  args: readonly string[],
  stateDir = mkdtempSync(join(tmpdir(), 's3-ingest-start-')),
): NpmStart {
  let output = '';
  const child = spawn(
    process.execPath,
    ['bin/s3-ingest.js', 'start', '--s3-port', '0', '--dynamodb-port', '0', '--console-port', '0', ...args],
    {
      env: { ...process.env, LOCAL_STATE_DIR: stateDir, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    stackFile: join(stateDir, 'stack.json'),
    output: () => output,
    exited,
    interrupt: () => {
      child.kill('SIGINT');
      return exited;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
