import { type Command, InvalidArgumentError, Option } from 'commander';
import { terminalSafeJson } from '../tools/format.js';
import type { TargetOptions } from '../tools/target.js';

/** The target options every command that works on a stack takes. */
export interface TargetFlags {
  readonly target?: string;
  readonly stackName?: string;
  readonly region?: string;
  readonly stackFile?: string;
}

/** Adds the target options (local stack by default, a deployed stack by name) to a command. */
export function withTargetOptions(command: Command): Command {
  return command
    .addOption(new Option('--target <where>', 'where to work').choices(['local', 'aws']))
    .option('--stack-name <name>', 'a deployed stack (implies --target aws); resources come from its outputs')
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile)')
    .option('--stack-file <path>', 'a local stack description (default .local/stack.json)');
}

/** The target from parsed flags: `--stack-name` alone means a deployed stack. */
export function targetOptionsOf(flags: TargetFlags): TargetOptions {
  const target = flags.target ?? (flags.stackName ? 'aws' : undefined);
  return {
    ...(target && { target }),
    ...(flags.stackName && { stackName: flags.stackName }),
    ...(flags.region && { region: flags.region }),
    ...(flags.stackFile && { stackFile: flags.stackFile }),
  };
}

/** Parses a whole number of at least 1; a usage error otherwise (exit 2). */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError('must be a whole number of at least 1.');
  }
  return parsed;
}

/** Parses a number above 0 (rates); a usage error otherwise (exit 2). */
export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('must be a number above 0.');
  }
  return parsed;
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Writes one JSON document to stdout: the result, so `| jq` and `> file` work. */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(value, 2)}\n`);
}
