import { Command, CommanderError } from 'commander';
import { printable } from '../tools/format.js';
import { ToolError, UsageError } from '../tools/tool-error.js';
import { backfillCommand } from './backfill.js';
import { consoleCommand } from './console.js';
import { eventsCommand } from './events.js';
import { redriveCommand } from './redrive.js';
import { reprocessCommand } from './reprocess.js';
import { uploadsCommand } from './uploads.js';

/** Commands with option parsers of their own, run as they are (`s3-ingest start --help` shows theirs). */
const PASS_THROUGH: Record<string, { description: string; load: () => Promise<unknown> }> = {
  start: {
    description: 'run the whole pipeline on the embedded local stack',
    load: () => import('../local/cli-start.js'),
  },
  loadtest: {
    description: 'upload, inject faults, verify every row, report numbers',
    load: () => import('../../loadtest/cli.js'),
  },
};

/** The `s3-ingest` program: one command for running, operating and testing the pipeline. */
export function buildProgram(): Command {
  const program = new Command('s3-ingest')
    .description(
      'Queue-buffered, idempotent ingestion of S3 uploads into a DynamoDB upload log: run it locally, operate it, test it.\n' +
        'Results go to stdout (tables, JSON, CSV); progress and errors to stderr.',
    )
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError('(add --help for usage)')
    .enablePositionalOptions();
  for (const [name, { description }] of Object.entries(PASS_THROUGH)) {
    program.command(name).description(`${description} (its own options: s3-ingest ${name} --help)`);
  }
  for (const command of [
    redriveCommand(),
    uploadsCommand(),
    backfillCommand(),
    reprocessCommand(),
    consoleCommand(),
    eventsCommand(),
  ]) {
    program.addCommand(command);
  }
  // Every command exits through one place: usage errors 2, failures 1.
  const exitOverride = (command: Command) => {
    command.exitOverride();
    for (const sub of command.commands) exitOverride(sub);
  };
  exitOverride(program);
  return program;
}

/**
 * Runs the program on `argv` (without node and the script), printing an error as one line:
 * exit code 2 for usage, 1 for failures; with `--debug` the stack too.
 *
 * @returns the exit code, or `undefined` for `start` and `loadtest`, which run on and set their own
 */
export async function runCli(argv: readonly string[]): Promise<number | undefined> {
  const debug = argv.includes('--debug');
  const passThrough = argv[0] === undefined ? undefined : PASS_THROUGH[argv[0]];
  if (passThrough) {
    // These read process.argv themselves (--debug included): hand them their own arguments.
    process.argv = [process.argv[0] ?? 'node', process.argv[1] ?? 's3-ingest', ...argv.slice(1)];
    await passThrough.load();
    return undefined;
  }
  const args = argv.filter((arg) => arg !== '--debug');
  try {
    await buildProgram().parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      return error.exitCode === 0 ? 0 : 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    const known = error instanceof ToolError;
    // A message may quote a key or a body: shown escaped, on one line.
    process.stderr.write(
      `error: ${printable(known ? message : `${(error as Error).name ?? 'Error'}: ${message}`)}\n`,
    );
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else if (!known) process.stderr.write('(add --debug for the stack trace)\n');
    return error instanceof UsageError ? 2 : 1;
  }
}
