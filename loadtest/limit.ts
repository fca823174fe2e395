/** A loop busier than this for the whole ingest had no CPU to spare. */
export const CPU_BOUND_BUSY = 0.9;

/** A run held to `--rate` that reached this share of it kept up with the rate. */
export const KEPT_UP_WITH_RATE = 0.9;

/** The bar: within 20 % of what DynamoDB's raw write rate allows. */
export const DYNAMODB_BOUND_RATIO = 0.8;

/** The measurements that tell what held a run's throughput down. */
export interface LimitInputs {
  readonly throughputPerSec: number;
  /** The `--rate` asked for, uploads per second; absent when unlimited. */
  readonly rate?: number;
  /** Busy fraction of the process running the stack while it ingested; null when it runs elsewhere. */
  readonly eventLoopBusy: number | null;
  readonly boundRatio: number | null;
}

/** `0.934` → `93%`. */
export const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** One sentence naming what limited the run's throughput, and how it was told. */
export function limitingFactor({ throughputPerSec, rate, eventLoopBusy, boundRatio }: LimitInputs): string {
  if (rate !== undefined && throughputPerSec >= KEPT_UP_WITH_RATE * rate) {
    const busy = eventLoopBusy === null ? '' : ` with the event loop busy ${percent(eventLoopBusy)}`;
    return `the --rate of ${rate} uploads/s asked for: the pipeline kept up${busy}`;
  }
  if (eventLoopBusy !== null && eventLoopBusy >= CPU_BOUND_BUSY) {
    return (
      `CPU: this process's event loop, which runs the embedded S3, SQS, DynamoDB and front door (and the ` +
      `worker too with --runtime source), was busy ${percent(eventLoopBusy)} ` +
      'of the time while ingesting, so DynamoDB never was the limit; the bound ratio then is the share ' +
      "of that CPU the DynamoDB writes take, not DynamoDB's spare capacity"
    );
  }
  if (boundRatio !== null && boundRatio >= DYNAMODB_BOUND_RATIO) {
    return `DynamoDB: throughput is ${percent(boundRatio)} of what its raw write rate allows`;
  }
  if (boundRatio !== null && eventLoopBusy !== null) {
    return (
      `waiting: the event loop was busy only ${percent(eventLoopBusy)} and DynamoDB gave ${percent(boundRatio)} ` +
      'of its raw rate; more uploads or invocations in flight (--concurrency, --worker-concurrency) should go faster'
    );
  }
  return 'not known here: the stack runs outside this process (use the embedded target to find out)';
}
