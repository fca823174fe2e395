import { mkdtempSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionEnvironments, environmentNiceness } from '../../src/local/lambda/execution-environments.js';
import { LAMBDA_NODE_MAJOR, resolveNodeRuntime } from '../../src/local/lambda/node-runtime.js';

/** A stand-in bundle whose handler does what the first record's body says. */
const FIXTURE = `
import { getHeapStatistics } from 'node:v8';
import { getPriority } from 'node:os';
let invocations = 0;
if (process.env.FAIL_INIT) throw new Error('init exploded');
export const handler = async (event, context) => {
  invocations += 1;
  const command = event.Records[0]?.body ?? '';
  if (command.startsWith('sleep ')) await new Promise((resolve) => setTimeout(resolve, Number(command.slice(6))));
  if (command === 'throw') throw new TypeError('handler failed');
  if (command === 'spin') for (;;) {}
  if (command === 'hog') { const kept = []; for (;;) kept.push(new Array(1e6).fill(invocations)); }
  return {
    batchItemFailures: [],
    pid: process.pid,
    niceness: getPriority(),
    invocations,
    version: process.version,
    remainingMs: context.getRemainingTimeInMillis(),
    functionName: context.functionName,
    variable: process.env.MY_VARIABLE ?? null,
    leaked: process.env.PARENT_ONLY ?? null,
    heapLimitMb: getHeapStatistics().heap_size_limit / 1048576,
    bundle: BUNDLE_NAME,
  };
};
`;

function writeBundle(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 's3-ingest-env-'));
  const file = join(dir, 'index.mjs');
  writeFileSync(file, `const BUNDLE_NAME = ${JSON.stringify(name)};\n${FIXTURE}`);
  return file;
}

const eventOf = (body: string): SQSEvent => ({ Records: [{ messageId: 'm1', body }] }) as unknown as SQSEvent;

type Answer = {
  pid: number;
  niceness: number;
  invocations: number;
  version: string;
  remainingMs: number;
  functionName: string;
  variable: string | null;
  leaked: string | null;
  heapLimitMb: number;
  bundle: string;
};

const invoke = async (environments: ExecutionEnvironments, body: string) =>
  (await environments.invoke(eventOf(body))) as unknown as Answer;

let open: ExecutionEnvironments[] = [];
afterEach(async () => {
  await Promise.all(open.map((environments) => environments.stop()));
  open = [];
});

// The environments run on the machine's Node.js and on the Lambda's (22, installed by npm ci).
describe.each(['current', String(LAMBDA_NODE_MAJOR)])('execution environments on Node.js %s', (node) => {
  const runtime = resolveNodeRuntime(node);
  const start = (
    overrides: {
      timeoutMs?: number;
      memorySize?: number;
      environment?: Record<string, string>;
      servicesFirst?: boolean;
    } = {},
  ) => {
    process.env.PARENT_ONLY = 'must not leak';
    const environments = new ExecutionEnvironments({
      bundleFile: writeBundle('first'),
      handlerExport: 'handler',
      nodePath: runtime.path,
      environment: {
        PATH: process.env.PATH ?? '',
        MY_VARIABLE: 'from the template',
        ...overrides.environment,
      },
      timeoutMs: overrides.timeoutMs ?? 10_000,
      memorySize: overrides.memorySize ?? 256,
      functionName: 'fixture-fn',
      region: 'us-east-1',
      onOutput: () => undefined,
      servicesFirst: overrides.servicesFirst ?? false,
    });
    open.push(environments);
    return environments;
  };

  it('runs on that Node.js, with the function environment only, and reuses a warm environment', async () => {
    const environments = start();
    const first = await invoke(environments, 'hello');
    const second = await invoke(environments, 'again');
    expect(first.version.split('.')[0]).toBe(runtime.version.split('.')[0]);
    if (node !== 'current') expect(first.version).toMatch(new RegExp(`^v${LAMBDA_NODE_MAJOR}\\.`));
    expect(first).toMatchObject({ functionName: 'fixture-fn', variable: 'from the template', leaked: null });
    expect(first.remainingMs).toBeGreaterThan(9_000);
    expect(second.pid).toBe(first.pid);
    expect(second.invocations).toBe(2);
    expect(environments.stats.environmentsCreated).toBe(1);
    expect(environments.stats.coldStartMs).toHaveLength(1);
    expect(environments.stats.coldStartMs[0]).toBeGreaterThan(0);
  });

  it('runs each environment below the services (this process) with servicesFirst, at their priority without', async () => {
    const below = start({ servicesFirst: true });
    const same = start();
    const answers = await Promise.all([invoke(below, 'sleep 50'), invoke(below, 'sleep 50')]);
    const unchanged = await invoke(same, 'hello');

    expect(new Set(answers.map((answer) => answer.pid)).size).toBe(2);
    for (const answer of answers) {
      expect(answer.niceness).toBe(environmentNiceness(getPriority()));
      expect(answer.niceness).toBeGreaterThan(getPriority());
    }
    expect(unchanged.niceness).toBe(getPriority());
  });

  it('creates an environment for each invocation that finds none free, each handling one at a time', async () => {
    const environments = start();
    const answers = await Promise.all([1, 2, 3].map(() => invoke(environments, 'sleep 300')));
    expect(new Set(answers.map((answer) => answer.pid)).size).toBe(3);
    expect(answers.every((answer) => answer.invocations === 1)).toBe(true);
    expect(environments.stats.environmentsCreated).toBe(3);
  });

  it('kills an invocation that passes the function timeout, with its environment', async () => {
    const environments = start({ timeoutMs: 500 });
    const before = await invoke(environments, 'hello');
    await expect(invoke(environments, 'sleep 60000')).rejects.toThrow('Task timed out after 0.50 seconds');
    const after = await invoke(environments, 'hello');
    expect(environments.stats.invocationsTimedOut).toBe(1);
    expect(after.pid).not.toBe(before.pid);
    expect(after.invocations).toBe(1);
  });

  it('times out a handler that never yields to its event loop, a grace period after the deadline', async () => {
    const environments = start({ timeoutMs: 300 });
    await expect(invoke(environments, 'spin')).rejects.toThrow('Task timed out after 0.30 seconds');
    expect(environments.stats.invocationsTimedOut).toBe(1);
    expect(environments.size).toBe(0);
  });

  it('lets an invocation that ended in time succeed, however late a busy parent reads its answer', async () => {
    const environments = start({ timeoutMs: 600 });
    await invoke(environments, 'hello');
    const answer = invoke(environments, 'sleep 50');
    // The invoke message is on its way; this process's event loop then stays busy past the deadline,
    // as the local stack's does under load, while the environment answers within 50 ms.
    await new Promise((resolve) => setImmediate(resolve));
    const busyUntil = Date.now() + 1_200;
    while (Date.now() < busyUntil) {
      // busy
    }
    await expect(answer).resolves.toMatchObject({ invocations: 2 });
    expect(environments.stats.invocationsTimedOut).toBe(0);
  });

  it("keeps the environment after a handler's error, and fails the invocation with it", async () => {
    const environments = start();
    const before = await invoke(environments, 'hello');
    await expect(invoke(environments, 'throw')).rejects.toThrow('TypeError: handler failed');
    expect((await invoke(environments, 'hello')).pid).toBe(before.pid);
  });

  it('bounds the heap by the memory size: an environment that passes it dies', async () => {
    const environments = start({ memorySize: 256 });
    const answer = await invoke(environments, 'hello');
    expect(answer.heapLimitMb).toBeGreaterThan(200);
    expect(answer.heapLimitMb).toBeLessThan(300);
    await expect(invoke(environments, 'hog')).rejects.toThrow(/exited/);
    expect((await invoke(environments, 'hello')).pid).not.toBe(answer.pid);
  });

  it('fails invocations whose environment cannot init, and one killed mid-invocation', async () => {
    const failing = start({ environment: { FAIL_INIT: '1' } });
    await expect(invoke(failing, 'hello')).rejects.toThrow('init failed: Error: init exploded');
    const environments = start();
    const running = invoke(environments, 'sleep 60000');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(environments.killBusy()).toBe(true);
    await expect(running).rejects.toThrow(/exited \(SIGKILL\)/);
    expect(environments.stats.environmentsKilled).toBe(1);
  });

  it('moves to a rebuilt bundle: new invocations run it', async () => {
    const environments = start();
    expect((await invoke(environments, 'hello')).bundle).toBe('first');
    environments.useBundle(writeBundle('rebuilt'));
    expect((await invoke(environments, 'hello')).bundle).toBe('rebuilt');
  });
});

describe('an execution environment whose Node.js is missing', () => {
  it('fails the invocation at once with the reason, and stops', async () => {
    const environments = new ExecutionEnvironments({
      bundleFile: writeBundle('first'),
      handlerExport: 'handler',
      nodePath: join(tmpdir(), 'no-such-node', 'bin', 'node'),
      environment: { PATH: process.env.PATH ?? '' },
      timeoutMs: 10_000,
      memorySize: 256,
      functionName: 'fixture-fn',
      region: 'us-east-1',
      onOutput: () => undefined,
      servicesFirst: false,
    });
    open.push(environments);
    // The spawn's error ends the wait, not the init timeout.
    await expect(invoke(environments, 'hello')).rejects.toThrow(/did not start: spawn .* ENOENT/);
    await environments.stop();
  });
});
