import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/**
 * How busy this process's event loop is, second by second. On the embedded target one event loop
 * runs the whole stack (S3 and SQS, DynamoDB, the worker and the uploads), so a loop busy all the
 * time means the run was bound by this process's CPU, whatever the services could do.
 */
export class EventLoopSampler {
  readonly #series: number[] = [];
  #last: EventLoopUtilization | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** Starts sampling once a second. */
  start(): void {
    this.#last = performance.eventLoopUtilization();
    this.#timer = setInterval(() => this.#sample(), 1000);
    this.#timer.unref();
  }

  /** Stops sampling and returns the busy fraction (0 to 1) of every whole second since `start`. */
  stop(): number[] {
    clearInterval(this.#timer);
    return [...this.#series];
  }

  #sample(): void {
    const now = performance.eventLoopUtilization();
    this.#series.push(performance.eventLoopUtilization(now, this.#last).utilization);
    this.#last = now;
  }
}

/** The busy fraction of this process's event loop while `work` runs. */
export async function busyWhile<T>(work: () => Promise<T>): Promise<{ result: T; busy: number }> {
  const before = performance.eventLoopUtilization();
  const result = await work();
  return { result, busy: performance.eventLoopUtilization(before).utilization };
}

/** Mean of the first `seconds` per-second samples (all of them when there are fewer). */
export function meanOfFirst(series: readonly number[], seconds: number): number {
  const window = series.slice(0, Math.max(1, Math.ceil(seconds)));
  if (window.length === 0) return 0;
  return window.reduce((sum, value) => sum + value, 0) / window.length;
}
