import type { SeriesSource } from '../dashboard-definition.js';

/** One value of a metric at a time (ms since the epoch). */
interface Sample {
  readonly at: number;
  readonly value: number;
}

/** A series' datapoints, one per period: period starts (ms) and values (null where no data). */
export interface Datapoints {
  readonly timestamps: number[];
  readonly values: (number | null)[];
}

/**
 * A CloudWatch statistic of some values: `Sum`, `Maximum`, `Minimum`, `Average`, `SampleCount`, or
 * a percentile `pNN` (nearest rank, as CloudWatch computes it on raw values). Undefined for no values.
 */
export function statisticOf(values: readonly number[], statistic: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'Sum':
      return values.reduce((sum, v) => sum + v, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Average':
      return values.reduce((sum, v) => sum + v, 0) / values.length;
    case 'SampleCount':
      return values.length;
  }
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(statistic);
  if (!percentile) throw new Error(`unknown statistic ${statistic}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * The local stack's metrics, kept in memory as raw samples for a bounded time, and read back as
 * CloudWatch would aggregate them: a statistic over a window, or a series of periods.
 */
export class MetricStore {
  readonly #series = new Map<string, Sample[]>();

  /** @param retentionMs - samples older than this are dropped @default 3 hours */
  constructor(private readonly retentionMs = 3 * 3_600_000) {}

  record(source: SeriesSource, metric: string, value: number, at = Date.now()): void {
    const key = `${source}/${metric}`;
    let samples = this.#series.get(key);
    if (!samples) {
      samples = [];
      this.#series.set(key, samples);
    }
    samples.push({ at, value });
    // Samples arrive in time order; drop the expired ones from the front now and then.
    if (samples.length % 1024 === 0) {
      const cutoff = at - this.retentionMs;
      const keep = samples.findIndex((sample) => sample.at >= cutoff);
      if (keep > 0) samples.splice(0, keep);
    }
  }

  /** The statistic of the samples in [from, to); undefined when there are none. */
  statistic(
    source: SeriesSource,
    metric: string,
    statistic: string,
    from: number,
    to: number,
  ): number | undefined {
    const values = (this.#series.get(`${source}/${metric}`) ?? [])
      .filter((sample) => sample.at >= from && sample.at < to)
      .map((sample) => sample.value);
    return statisticOf(values, statistic);
  }

  /** One datapoint per period in [from, to), periods aligned to multiples of `periodMs`. */
  datapoints(
    source: SeriesSource,
    metric: string,
    statistic: string,
    from: number,
    to: number,
    periodMs: number,
  ): Datapoints {
    const first = Math.floor(from / periodMs) * periodMs;
    const buckets = new Map<number, number[]>();
    for (const sample of this.#series.get(`${source}/${metric}`) ?? []) {
      if (sample.at < first || sample.at >= to) continue;
      const bucket = Math.floor(sample.at / periodMs) * periodMs;
      let values = buckets.get(bucket);
      if (!values) {
        values = [];
        buckets.set(bucket, values);
      }
      values.push(sample.value);
    }
    const timestamps: number[] = [];
    const values: (number | null)[] = [];
    for (let at = first; at < to; at += periodMs) {
      timestamps.push(at);
      values.push(statisticOf(buckets.get(at) ?? [], statistic) ?? null);
    }
    return { timestamps, values };
  }
}
