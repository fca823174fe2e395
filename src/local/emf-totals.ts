import { COUNT_METRICS } from '../metric-names.js';
import type { MetricTotals } from '../observability.js';

/** Whether a line is an EMF document (CloudWatch reads those as metrics, the rest as log lines). */
export const isEmfLine = (line: string): boolean =>
  line.includes('"_aws"') && line.trimStart().startsWith('{');

/** One EMF document: metric values by name, and the `_aws` metadata that names them. */
export type EmfDocument = Record<string, unknown> & {
  readonly _aws?: { readonly Timestamp?: number; readonly CloudWatchMetrics?: unknown[] };
};

/** The EMF document a line holds, parsed once for every reader; undefined for any other line. */
export function parseEmf(line: string): EmfDocument | undefined {
  if (!isEmfLine(line)) return undefined;
  try {
    return JSON.parse(line) as EmfDocument;
  } catch {
    return undefined;
  }
}

/** Adds one EMF document's count metrics to `totals`. */
export function addEmfCounts(totals: Record<string, number>, document: EmfDocument): void {
  for (const name of COUNT_METRICS) {
    const value = document[name];
    for (const v of Array.isArray(value) ? value : [value])
      if (typeof v === 'number') totals[name] = (totals[name] ?? 0) + v;
  }
}

/** Sums the count metrics of EMF documents (one JSON document per line); other lines are ignored. */
export function sumEmfCounts(lines: Iterable<string>): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(COUNT_METRICS.map((name) => [name, 0]));
  for (const line of lines) {
    const document = parseEmf(line);
    if (document) addEmfCounts(totals, document);
  }
  return totals;
}

/**
 * Running totals of the worker's count metrics, read from the EMF it emits: the same whether the
 * worker runs in this process or in execution environments of its own.
 */
export class EmfTotals {
  readonly #totals = sumEmfCounts([]);

  /** Adds an EMF document's counts. */
  add(document: EmfDocument): void {
    addEmfCounts(this.#totals, document);
  }

  /** Totals so far. */
  totals(): Readonly<MetricTotals> {
    return { ...this.#totals } as MetricTotals;
  }
}
