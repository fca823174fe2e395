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
