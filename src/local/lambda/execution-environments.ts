import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const HOST_SCRIPT = fileURLToPath(new URL('./environment-host.mjs', import.meta.url));

/** Lambda's limit on an on-demand function's init phase. */
const INIT_TIMEOUT_MS = 10_000;

/**
 * How long past the deadline the parent waits before it kills an environment that has not said it
 * timed out (a handler spinning on the CPU never lets the environment's own timer run). Long enough
 * that a parent whose event loop lags under load reads an answer sent before the deadline first.
 */
const UNRESPONSIVE_GRACE_MS = 2_000;

/**
 * How many nice levels below this process the environments run with `servicesFirst`. This process
 * stands in for AWS: S3, SQS, DynamoDB and the front door answer the environments' calls. On AWS a
 * busy function does not slow those services down; on a machine with fewer cores than busy
 * processes, equal priorities let it (the services' event loop waits for a core while the
 * environments that wait on it run). With a lower priority the environments get the CPU the
 * services leave, and so does any other busy process: a run beside other work starves them.
 */
export const ENVIRONMENT_NICE_INCREMENT = 10;

/** The niceness of an environment spawned by a process of niceness `own` (19 is the lowest priority). */
export const environmentNiceness = (own: number): number => Math.min(19, own + ENVIRONMENT_NICE_INCREMENT);

/** The share of the function's memory Lambda's Node.js bootstrap gives the V8 heap (old space). */
const HEAP_SHARE = 0.9;
/**
 * The share it gives each semi-space of the young generation. Set, as Lambda's bootstrap sets it,
 * because Node.js 24's default semi-space (and so its young generation) is several times Node.js
 * 22's: without it a 256 MB function's heap could grow to 422 MB here.
 */
const SEMI_SPACE_SHARE = 0.05;

/** How to run the function's execution environments. */
export interface ExecutionEnvironmentsOptions {
  /** The bundle's `index.mjs`. */
  readonly bundleFile: string;
  /** The export the template's `Handler` names (`index.handler` -> `handler`). */
  readonly handlerExport: string;
  /** The Node.js binary environments run on. */
  readonly nodePath: string;
  /** The whole environment of each process: the function's variables and Lambda's own. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly memorySize: number;
  readonly functionName: string;
  readonly region: string;
  /** Each line an environment writes to stdout (logs and EMF) or stderr. */
  readonly onOutput: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Runs each environment, once ready, {@link ENVIRONMENT_NICE_INCREMENT} nice levels below this
   * process (the load test's embedded target). @default false
   */
  readonly servicesFirst?: boolean;
}

/** What the environments did, for the load test's report and `npm start`'s status line. */
export interface RuntimeStats {
  environmentsCreated: number;
  /** Killed by {@link ExecutionEnvironments.killBusy} (chaos), mid-invocation. */
  environmentsKilled: number;
  invocationsTimedOut: number;
  /** Environments that ended by themselves (an uncaught error, the heap limit) or failed their init. */
  environmentsCrashed: number;
  invocations: number;
  /** Spawn to handler ready, per environment created. */
  readonly coldStartMs: number[];
  /** Every environment variable the function has read (its code, its libraries and the SDK). */
  readonly variablesRead: Set<string>;
}

/** An invocation that failed the way Lambda reports it: the whole batch comes back. */
export class InvocationError extends Error {
  override readonly name = 'InvocationError';
}

interface Running {
  readonly id: string;
  readonly resolve: (response: SQSBatchResponse) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly onTimeout: () => void;
}

/** One execution environment: a child process that handles one invocation at a time. */
class Environment {
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  running: Running | undefined;
  dead = false;
  /** Set when a newer bundle was built: the environment is not reused. */
  retired = false;

  constructor(
    private readonly child: ChildProcess,
    onCrash: (error: Error) => void,
    onVariablesRead: (names: readonly string[]) => void,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      // A process that never started (its binary missing) emits 'error' and no 'exit'.
      child.on('error', () => {
        if (child.pid === undefined) resolve();
      });
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const initTimer = setTimeout(() => {
        reject(new InvocationError(`the environment did not finish its init within ${INIT_TIMEOUT_MS} ms`));
        this.kill();
      }, INIT_TIMEOUT_MS);
      child.on('message', (message: HostMessage) => {
        if (message.type === 'ready') {
          clearTimeout(initTimer);
          resolve();
        } else if (message.type === 'init-error') {
          clearTimeout(initTimer);
          reject(
            new InvocationError(`init failed: ${message.error.errorType}: ${message.error.errorMessage}`),
          );
        } else if (message.type === 'crash') {
          onCrash(new InvocationError(`${message.error.errorType}: ${message.error.errorMessage}`));
        } else if (message.type === 'timeout' && message.id === this.running?.id) {
          clearTimeout(this.running.timer);
          this.running.onTimeout();
        } else if (
          (message.type === 'result' || message.type === 'error') &&
          message.id === this.running?.id
        ) {
          onVariablesRead(message.variablesRead ?? []);
          const running = this.running;
          this.running = undefined;
          clearTimeout(running.timer);
          if (message.type === 'result') running.resolve(message.response as SQSBatchResponse);
          else
            running.reject(new InvocationError(`${message.error.errorType}: ${message.error.errorMessage}`));
        }
      });
      child.on('error', (error) => {
        if (child.pid !== undefined) return;
        clearTimeout(initTimer);
        this.dead = true;
        reject(new InvocationError(`the environment did not start: ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(initTimer);
        this.dead = true;
        const reason = new InvocationError(`the environment exited (${signal ?? `code ${code}`})`);
        reject(reason);
        const running = this.running;
        this.running = undefined;
        if (running) {
          clearTimeout(running.timer);
          running.reject(reason);
        }
      });
    });
    // The rejection is read through `ready` by whoever waits for it; an unobserved one is not an error.
    this.ready.catch(() => undefined);
  }

  invoke(event: SQSEvent, deadlineMs: number, context: Record<string, string>, onTimeout: () => void) {
    return new Promise<SQSBatchResponse>((resolve, reject) => {
      const id = randomUUID();
      // The environment ends its own invocation at the deadline; this is for one that cannot.
      const timer = setTimeout(onTimeout, Math.max(0, deadlineMs - Date.now()) + UNRESPONSIVE_GRACE_MS);
      this.running = { id, resolve, reject, timer, onTimeout };
      this.child.send({ type: 'invoke', id, event, deadlineMs, context: { ...context, awsRequestId: id } });
    });
  }

  kill(): void {
    this.dead = true;
    this.child.kill('SIGKILL');
  }
}

/** Lowers a ready environment's CPU priority (see {@link ENVIRONMENT_NICE_INCREMENT}); where the OS refuses, it runs as it is. */
function lowerPriority(pid: number): void {
  try {
    setPriority(pid, environmentNiceness(getPriority()));
  } catch {
    // A priority is an optimization: the environment behaves the same without it.
  }
}

type HostError = { errorType: string; errorMessage: string };
type HostMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: HostError }
  | { type: 'crash'; error: HostError }
  | { type: 'timeout'; id: string }
  | { type: 'result'; id: string; response: unknown; variablesRead?: string[] }
  | { type: 'error'; id: string; error: HostError; variablesRead?: string[] };

/**
 * The function's execution environments, as Lambda runs them: separate processes, each handling
 * one invocation at a time, reused while warm and created on demand (the caller bounds how many
 * invocations run at once: the event source's maximum concurrency). An invocation that passes the
 * function timeout is killed with its environment; one whose environment dies fails as a whole.
 * The function's memory size bounds each environment's heap.
 */
export class ExecutionEnvironments {
  readonly stats: RuntimeStats = {
    environmentsCreated: 0,
    environmentsKilled: 0,
    invocationsTimedOut: 0,
    environmentsCrashed: 0,
    invocations: 0,
    coldStartMs: [],
    variablesRead: new Set(),
  };
  readonly #options: ExecutionEnvironmentsOptions;
  readonly #all = new Set<Environment>();
  readonly #idle: Environment[] = [];
  #bundleFile: string;
  #stopped = false;

  constructor(options: ExecutionEnvironmentsOptions) {
    this.#options = options;
    this.#bundleFile = options.bundleFile;
  }

  /** The bundle new environments load. */
  get bundleFile(): string {
    return this.#bundleFile;
  }

  /** Environments alive now, busy or idle. */
  get size(): number {
    return this.#all.size;
  }

  /** Loads `bundleFile` from now on: idle environments end, busy ones end after their invocation. */
  useBundle(bundleFile: string): void {
    this.#bundleFile = bundleFile;
    for (const environment of this.#all) environment.retired = true;
    for (const environment of this.#idle.splice(0)) this.#end(environment);
  }

  /** Runs one invocation in a warm environment, or a new one. */
  async invoke(event: SQSEvent): Promise<SQSBatchResponse> {
    if (this.#stopped) throw new InvocationError('the runtime is stopped');
    this.stats.invocations += 1;
    const environment = this.#idle.pop() ?? this.#spawn();
    const { functionName, region, memorySize, timeoutMs } = this.#options;
    let timedOut = false;
    try {
      await environment.ready;
      return await environment.invoke(
        event,
        Date.now() + timeoutMs,
        {
          functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
          memoryLimitInMB: String(memorySize),
          logGroupName: `/aws/lambda/${functionName}`,
          logStreamName: 'local',
        },
        () => {
          this.stats.invocationsTimedOut += 1;
          timedOut = true;
          environment.kill();
        },
      );
    } catch (error) {
      // Lambda's words for an invocation that ran out of time; its environment is gone with it.
      if (timedOut)
        throw new InvocationError(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
      throw error;
    } finally {
      if (environment.dead || environment.retired || this.#stopped) this.#end(environment);
      else this.#idle.push(environment);
    }
  }

  /** Kills one environment that is running an invocation (chaos); false when none is. */
  killBusy(): boolean {
    const busy = [...this.#all].filter((environment) => environment.running && !environment.dead);
    const victim = busy[Math.floor(Math.random() * busy.length)];
    if (!victim) return false;
    this.stats.environmentsKilled += 1;
    victim.kill();
    return true;
  }

  /** Ends every environment (after the poller has let invocations in progress finish). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#all];
    for (const environment of all) environment.kill();
    await Promise.all(all.map((environment) => environment.exited));
  }

  #spawn(): Environment {
    const { nodePath, memorySize, handlerExport, environment, onOutput, servicesFirst } = this.#options;
    const started = performance.now();
    const child = spawn(
      nodePath,
      [
        `--max-semi-space-size=${Math.floor(memorySize * SEMI_SPACE_SHARE)}`,
        `--max-old-space-size=${Math.floor(memorySize * HEAP_SHARE)}`,
        HOST_SCRIPT,
        this.#bundleFile,
        handlerExport,
      ],
      { env: { ...environment }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    const created = new Environment(
      child,
      (error) => {
        this.stats.environmentsCrashed += 1;
        onOutput(`execution environment crashed: ${error.message}`, 'stderr');
      },
      (names) => {
        for (const name of names) this.stats.variablesRead.add(name);
      },
    );
    this.stats.environmentsCreated += 1;
    this.#all.add(created);
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (source) createInterface({ input: source }).on('line', (line) => onOutput(line, stream));
    }
    created.ready.then(
      () => {
        this.stats.coldStartMs.push(performance.now() - started);
        // The init (the cold start) runs at this process's priority, so that it measures the
        // import, not how busy the services are; the invocations run below it.
        if (servicesFirst && child.pid !== undefined) lowerPriority(child.pid);
      },
      () => {
        // An init that failed or timed out; environments ended by stop() are not crashes.
        if (!this.#stopped) this.stats.environmentsCrashed += 1;
      },
    );
    void created.exited.then(() => this.#end(created));
    return created;
  }

  #end(environment: Environment): void {
    if (!environment.dead) environment.kill();
    this.#all.delete(environment);
    const index = this.#idle.indexOf(environment);
    if (index >= 0) this.#idle.splice(index, 1);
  }
}
