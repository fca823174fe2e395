import type { AwsFrontDoor, FaultCounts } from '../src/local/lambda/aws-front-door.js';
import type { ExecutionEnvironments } from '../src/local/lambda/execution-environments.js';

/** Faults a Lambda deployment meets, injected into the embedded stack while the workload runs. */
export interface ChaosOptions {
  /** Kill a busy execution environment (mid-batch) this often, seconds. */
  readonly killEnvironmentsEverySeconds?: number;
  /** Share (0..1) of DynamoDB writes answered with throttling or a 500. */
  readonly dynamodbFaultRate: number;
  /** Share (0..1) of S3 HeadObject and CopyObject calls answered with a 500 or 503. */
  readonly s3FaultRate: number;
  /** DynamoDB unreachable from `startSeconds` after the first upload, for `seconds`. */
  readonly outage?: { readonly startSeconds: number; readonly seconds: number };
}

/** What the chaos did, for the report. */
export interface ChaosReport {
  readonly environmentsKilled: number;
  /** Kills of the upload events' stream event source (with the environments' kills, when it runs). */
  readonly eventSourceKills: number;
  readonly invocationsTimedOut: number;
  readonly faultsInjected: FaultCounts & { readonly environmentKilled: number };
}

/** Whether any fault is asked for. */
export const chaosWanted = (options: ChaosOptions): boolean =>
  options.killEnvironmentsEverySeconds !== undefined ||
  options.dynamodbFaultRate > 0 ||
  options.s3FaultRate > 0 ||
  options.outage !== undefined;

/** Parses `--outage START:SECONDS`. @returns undefined for text that is not two non-negative numbers */
export function parseOutage(text: string): ChaosOptions['outage'] | undefined {
  const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[2]);
  return seconds > 0 ? { startSeconds: Number(match[1]), seconds } : undefined;
}

/**
 * Starts the faults: rates on the front door at once, the outage and the kills on timers. `stop`
 * ends them all (the verification and the measurements after the run see a healthy stack) and
 * says what was injected.
 */
export function startChaos(
  frontDoor: AwsFrontDoor,
  environments: ExecutionEnvironments | undefined,
  options: ChaosOptions,
  eventSource?: { kill(): Promise<void>; readonly kills: number },
): { stop(): ChaosReport } {
  const timers: NodeJS.Timeout[] = [];
  frontDoor.faults.dynamodbWriteRate = options.dynamodbFaultRate;
  frontDoor.faults.s3Rate = options.s3FaultRate;
  if (options.outage) {
    const { startSeconds, seconds } = options.outage;
    timers.push(
      setTimeout(() => {
        frontDoor.faults.dynamodbDown = true;
      }, startSeconds * 1000),
      setTimeout(
        () => {
          frontDoor.faults.dynamodbDown = false;
        },
        (startSeconds + seconds) * 1000,
      ),
    );
  }
  const every = options.killEnvironmentsEverySeconds;
  if (every !== undefined && environments) {
    timers.push(setInterval(() => environments.killBusy(), every * 1000));
  }
  // The upload events' event source dies as often, half a period later: a batch published and not checkpointed.
  if (every !== undefined && eventSource) {
    timers.push(
      setTimeout(
        () => {
          const kill = () => void eventSource.kill().catch(() => undefined);
          kill();
          timers.push(setInterval(kill, every * 1000));
        },
        (every * 1000) / 2,
      ),
    );
  }
  const eventSourceKillsBefore = eventSource?.kills ?? 0;
  const killedBefore = environments?.stats.environmentsKilled ?? 0;
  const timedOutBefore = environments?.stats.invocationsTimedOut ?? 0;
  const faultsBefore = { ...frontDoor.faultsInjected };
  return {
    stop: () => {
      for (const timer of timers) clearTimeout(timer);
      Object.assign(frontDoor.faults, { dynamodbWriteRate: 0, s3Rate: 0, dynamodbDown: false });
      const environmentsKilled = (environments?.stats.environmentsKilled ?? 0) - killedBefore;
      const faults = Object.fromEntries(
        Object.entries(frontDoor.faultsInjected).map(([kind, count]) => [
          kind,
          count - faultsBefore[kind as keyof FaultCounts],
        ]),
      ) as FaultCounts;
      return {
        environmentsKilled,
        eventSourceKills: (eventSource?.kills ?? 0) - eventSourceKillsBefore,
        invocationsTimedOut: (environments?.stats.invocationsTimedOut ?? 0) - timedOutBefore,
        faultsInjected: { ...faults, environmentKilled: environmentsKilled },
      };
    },
  };
}
