import { ToolError } from './tool-error.js';

/** Options shared by every tool, as parseArgs declares them. */
export const TARGET_ARG_OPTIONS = {
  target: { type: 'string' },
  'stack-name': { type: 'string' },
  region: { type: 'string' },
  'stack-file': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Help text for the shared options. */
export const TARGET_HELP = `Target (default: the local stack of \`npm start\`, from .local/stack.json):
  --target local|aws     where to work
  --stack-name NAME      the deployed stack (with --target aws); resources come from its outputs
  --region REGION        AWS region (default: from the AWS environment)
  --stack-file PATH      another local stack description
  --json                 machine-readable output
  -h, --help             this help`;

/** The target options from parsed values. */
export function targetOptionsOf(values: Record<string, unknown>) {
  const pick = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  return {
    ...(pick('target') && { target: pick('target') }),
    ...(pick('stack-name') && { stackName: pick('stack-name') }),
    ...(pick('region') && { region: pick('region') }),
    ...(pick('stack-file') && { stackFile: pick('stack-file') }),
  };
}

/** Parses a positive number option. @throws {ToolError} naming the option */
export function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new ToolError(`${name} must be a positive number, got "${value}"`);
  return parsed;
}

/** Writes progress to stderr: one rewritten line on a terminal, a line now and then otherwise. */
export function progressReporter(label: string): { update: (text: string) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  let last = '';
  let printed = '';
  return {
    update(text) {
      last = text;
      const now = Date.now();
      if (tty) process.stderr.write(`\r${label}: ${text}   `);
      else if (now - lastPrint > 2000) {
        process.stderr.write(`${label}: ${text}\n`);
        lastPrint = now;
        printed = text;
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
      else if (last && last !== printed) process.stderr.write(`${label}: ${last}\n`);
    },
  };
}

/** Runs a tool's main, printing a ToolError's message alone and exiting 1; anything else with its stack, exit 2. */
export function runTool(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ToolError) {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error(error);
      process.exitCode = 2;
    }
  });
}
