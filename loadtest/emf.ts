import { COUNT_METRICS } from '../src/metric-names.js';

/** Sums the count metrics of EMF documents (one JSON document per line); other lines are ignored. */
export function sumEmfCounts(lines: Iterable<string>): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(COUNT_METRICS.map((name) => [name, 0]));
  for (const line of lines) {
    if (!line.includes('"_aws"')) continue;
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    for (const name of COUNT_METRICS) {
      const value = document[name];
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) if (typeof v === 'number') totals[name] = (totals[name] ?? 0) + v;
    }
  }
  return totals;
}
