/** Lines written to stdout and stderr while capturing; EMF documents and JSON log lines parsed. */
export interface CapturedOutput {
  readonly lines: string[];
  /** Every JSON line that carries an `_aws` EMF header. */
  emf(): Record<string, unknown>[];
  /** Every value of one metric over every EMF document captured. */
  metricValues(name: string): number[];
  /** Sum of one count metric over every EMF document captured. */
  metricTotal(name: string): number;
  /** Every JSON log line (not EMF). Powertools writes errors and warnings to stderr. */
  logs(): Record<string, unknown>[];
  stop(): void;
}

/** Captures what is written to stdout and stderr until `stop()`; nothing reaches the terminal meanwhile. */
export function captureOutput(): CapturedOutput {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.trim() !== ''),
      );
      return true;
    }) as typeof stream.write;
  }
  const json = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const metricValues = (name: string) =>
    json()
      .filter((doc) => '_aws' in doc && doc[name] !== undefined)
      .flatMap((doc) => (Array.isArray(doc[name]) ? (doc[name] as number[]) : [Number(doc[name])]));
  return {
    lines,
    emf: () => json().filter((doc) => '_aws' in doc),
    logs: () => json().filter((doc) => !('_aws' in doc)),
    metricValues,
    metricTotal: (name) => metricValues(name).reduce((sum, value) => sum + value, 0),
    stop() {
      streams.forEach((stream, index) => {
        stream.write = originals[index] as typeof stream.write;
      });
    },
  };
}
