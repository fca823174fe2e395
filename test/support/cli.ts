import { execFile } from 'node:child_process';

/** What one run of the `s3-ingest` command printed, and how it ended. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `s3-ingest` binary (`bin/s3-ingest.js`) as a child process. Asynchronous, so the
 * local stack this test process serves keeps answering the command's calls.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/s3-ingest.js', ...args],
      { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** Runs a command line in bash, as an operator pasting it would: `s3-ingest` is this checkout's binary. */
export function runPasted(line: string, cwd: string): Promise<CliRun> {
  const bin = new URL('../../bin/s3-ingest.js', import.meta.url).pathname;
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `s3-ingest() { "${process.execPath}" "${bin}" "$@"; }; ${line}`],
      { encoding: 'utf8', cwd, timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** True when stderr holds a Node.js stack frame. */
export const hasStackTrace = (stderr: string) => /\n\s+at .+\(.+:\d+:\d+\)/.test(stderr);
