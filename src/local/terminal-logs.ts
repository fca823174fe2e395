import type { Logger } from '@aws-lambda-powertools/logger';
import { printable } from '../tools/format.js';

/** How the worker's log lines are shown when it runs on this machine. */
export type LogFormat = 'text' | 'json';

/** Every format, for option validation. */
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

type Attributes = Record<string, unknown>;

/**
 * One readable line of a worker log item: time, level, message, object, reason, and an error as
 * `Name: message` (its stack only with `debug`, one escaped line per frame). Every part is
 * {@link printable}: an object key or a reason holding a newline or an escape sequence shows as
 * text and never forges a line or drives the terminal. The JSON item keeps everything for machines.
 */
export function formatLogLine(attributes: Attributes, debug: boolean): string {
  const time = typeof attributes.timestamp === 'string' ? attributes.timestamp.slice(11, 23) : '';
  const level = String(attributes.level ?? '').padEnd(5);
  const parts = [time, level, String(attributes.message ?? '')];
  if (typeof attributes.objectUri === 'string') parts.push(attributes.objectUri);
  if (attributes.reason !== undefined) parts.push(`reason: ${String(attributes.reason)}`);
  const error = attributes.error as { name?: string; message?: string; stack?: string } | undefined;
  // The reason already names the error; its stack is what --debug adds.
  const stack = debug && error && typeof error === 'object' && error.stack ? error.stack : undefined;
  if (error && typeof error === 'object' && !stack && attributes.reason === undefined) {
    parts.push(`${error.name ?? 'Error'}: ${error.message ?? ''}`);
  }
  const line = parts
    .filter((part) => part !== '')
    .map(printable)
    .join('  ');
  const frames = stack ? stack.split('\n').map((frame) => `\n${printable(frame)}`) : [];
  return `${line}${frames.join('')}\n`;
}

/**
 * Sends a Powertools logger's lines to stderr, so they never mix with a command's results on
 * stdout or drown its status line: as one readable line each (`text`), or as Lambda's JSON
 * (`json`). Only for the local stack and the load test; the Lambda keeps Powertools' own output.
 *
 * @param write - where lines go @default process.stderr
 */
export function routeLogsToTerminal(
  logger: Logger,
  format: LogFormat,
  debug: boolean,
  write: (line: string) => void = (line) => process.stderr.write(line),
): void {
  // Powertools prints through its protected printLog; replacing it on this instance is the one
  // seam that changes where and how lines go without forking the logger.
  const printer = logger as unknown as {
    printLog: (level: number, log: { getAttributes(): Attributes }) => void;
    getJsonReplacer: () => (key: string, value: unknown) => unknown;
  };
  printer.printLog = (_level, log) => {
    const attributes = log.getAttributes();
    write(
      format === 'json'
        ? `${JSON.stringify(attributes, printer.getJsonReplacer())}\n`
        : formatLogLine(attributes, debug),
    );
  };
}

/** Log levels in order, for showing only what is at least as severe as the local level. */
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'];

/**
 * Shows an execution environment's log line on stderr: Powertools' JSON items at or above
 * `minimum`, as text or JSON; anything else (a crash's trace) as it is.
 */
export function executionEnvironmentLogWriter(format: LogFormat, debug: boolean, minimum: string) {
  const floor = LEVELS.indexOf(minimum.toUpperCase());
  return (line: string) => {
    let item: Record<string, unknown> | undefined;
    try {
      item = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined;
    } catch {
      item = undefined;
    }
    if (!item) {
      // A crash's trace may quote an object key: escaped like the rest.
      process.stderr.write(`${printable(line)}\n`);
      return;
    }
    if (LEVELS.indexOf(String(item.level ?? 'INFO').toUpperCase()) < floor) return;
    process.stderr.write(format === 'json' ? `${line}\n` : formatLogLine(item, debug));
  };
}
