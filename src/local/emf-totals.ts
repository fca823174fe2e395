import { COUNT_METRICS } from '../metric-names.js';
import type { MetricTotals } from '../observability.js';

/** Whether a line is an EMF document (CloudWatch reads those as metrics, the rest as log lines). */
export const isEmfLine = (line: string): boolean =>
  line.includes('"_aws"') && line.trimStart().startsWith('{');

/** Adds one EMF document's count metrics to `totals`; a line that is not one adds nothing. */
export function addEmfCounts(totals: Record<string, number>, line: string): void {
  if (!isEmfLine(line)) return;
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  for (const name of COUNT_METRICS) {
    const value = document[name];
    for (const v of Array.isArray(value) ? value : [value])
      if (typeof v === 'number') totals[name] = (totals[name] ?? 0) + v;
  }
}

/** Sums the count metrics of EMF documents (one JSON document per line); other lines are ignored. */
export function sumEmfCounts(lines: Iterable<string>): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(COUNT_METRICS.map((name) => [name, 0]));
  for (const line of lines) addEmfCounts(totals, line);
  return totals;
}

/**
 * Running totals of the worker's count metrics, read from the EMF it emits: the same whether the
 * worker runs in this process or in execution environments of its own.
 */
export class EmfTotals {
  readonly #totals = sumEmfCounts([]);

  /** Adds an EMF line's counts. */
  add(line: string): void {
    addEmfCounts(this.#totals, line);
  }

  /** Totals so far. */
  totals(): Readonly<MetricTotals> {
    return { ...this.#totals } as MetricTotals;
  }
}
