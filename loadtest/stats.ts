/** Latency percentiles, in milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles of `values` (zeros when there are none). */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1] ?? 0 };
}

/** Rows written per second, from the first second of the run to the last row. */
export function perSecond(timestampsMs: readonly number[], startMs: number): number[] {
  const series: number[] = [];
  for (const at of timestampsMs) {
    const second = Math.max(0, Math.floor((at - startMs) / 1000));
    while (series.length <= second) series.push(0);
    series[second] = (series[second] ?? 0) + 1;
  }
  return series;
}

/** One bar of a histogram: values in `[from, to)`. */
export interface Bucket {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** A histogram with `bucketCount` equal buckets from 0 to the largest value. */
export function histogram(values: readonly number[], bucketCount = 20): Bucket[] {
  const max = values.reduce((a, b) => Math.max(a, b), 0);
  const width = Math.max(1, Math.ceil((max + 1) / bucketCount));
  const buckets = Array.from({ length: bucketCount }, (_, i) => ({
    from: i * width,
    to: (i + 1) * width,
    count: 0,
  }));
  for (const value of values) {
    const bucket = buckets[Math.min(bucketCount - 1, Math.floor(value / width))];
    if (bucket) bucket.count += 1;
  }
  return buckets;
}

/** `value` rounded to `digits` decimals, for reports. */
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
