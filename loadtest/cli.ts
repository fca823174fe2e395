import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { routeLogsToTerminal } from '../src/local/terminal-logs.js';
import { logger } from '../src/observability.js';
import { renderTable } from '../src/tools/format.js';
import { progressReporter } from '../src/tools/progress.js';
import { isUsageError, ToolError } from '../src/tools/tool-error.js';
import { renderHtmlReport } from './html-report.js';
import { LOADTEST_HELP, parseLoadTestArgs } from './options.js';
import { runLoadTest } from './run.js';
import { summarize, TARGETS, verdictOf } from './summary.js';

/** Draws a progress bar for counted phases, and the detail line for the others. */
function progressLine(phase: string, done: number, total: number, detail?: string): string {
  if (total <= 0) return `${phase}: ${detail ?? ''}`;
  const width = 30;
  const filled = Math.round((width * done) / total);
  return `${phase} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${detail ? ` ${detail}` : ''}`;
}

async function main(): Promise<void> {
  const command = parseLoadTestArgs(process.argv.slice(2));
  if (command.help) {
    console.log(LOADTEST_HELP);
    return;
  }
  // The embedded worker's lines go to stderr, warnings and errors only: the table stays readable.
  logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN');
  routeLogsToTerminal(logger, command.logFormat, command.debug);
  const progress = progressReporter('loadtest');
  const report = await runLoadTest(command.options, (p) =>
    progress.update(progressLine(p.phase, p.done, p.total, p.detail)),
  );
  progress.done();
  const summary = summarize(report);
  console.log(
    renderTable(summary, [
      { header: 'measure', value: ([name]) => name },
      { header: 'value', value: ([, value]) => value },
      { header: 'target', value: ([name]) => TARGETS[name] ?? '' },
    ]),
  );
  for (const problem of report.problems) console.log(`problem: ${problem}`);
  const html = `${command.out.replace(/\.json$/, '')}.html`;
  await mkdir(dirname(command.out), { recursive: true });
  await writeFile(command.out, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderHtmlReport(report, summary));
  console.log(`Report: ${command.out} and ${html}`);
  if (!verdictOf(report).passed) {
    console.error('The pipeline lost, duplicated or misplaced something: see the problems above.');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  // One line, like every s3-ingest command: usage mistakes exit 2, failures 1; --debug adds the stack.
  const message = error instanceof Error ? error.message : String(error);
  const known = error instanceof ToolError || isUsageError(error);
  console.error(`loadtest: ${known ? message : `${(error as Error).name ?? 'Error'}: ${message}`}`);
  if (process.argv.includes('--debug') && error instanceof Error) console.error(error.stack);
  process.exitCode = isUsageError(error) ? 2 : 1;
});
