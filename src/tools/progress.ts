/** How often progress is written when stderr is not a terminal (a pipe, a CI log). */
export const PIPED_PROGRESS_INTERVAL_MS = 2_000;

/**
 * Writes progress to stderr: one rewritten line on a terminal; when piped, the latest state every
 * couple of seconds (also while no new update arrives), so a log shows the run moving.
 *
 * @param write - where lines go @default process.stderr
 * @param tty - whether that is a terminal @default process.stderr.isTTY
 */
export function progressReporter(
  label: string,
  write: (text: string) => void = (text) => process.stderr.write(text),
  tty: boolean = process.stderr.isTTY === true,
): { update: (text: string) => void; done: () => void } {
  let last = '';
  let printed = '';
  const flush = () => {
    if (last && last !== printed) {
      write(`${label}: ${last}\n`);
      printed = last;
    }
  };
  const timer = tty ? undefined : setInterval(flush, PIPED_PROGRESS_INTERVAL_MS);
  timer?.unref();
  let first = true;
  return {
    update(text) {
      last = text;
      if (tty) write(`\r${label}: ${text}   `);
      else if (first) {
        // The first state at once: the run has started.
        first = false;
        flush();
      }
    },
    done() {
      clearInterval(timer);
      if (tty) write('\n');
      else flush();
    },
  };
}
