import { afterAll, afterEach, beforeEach } from 'vitest';
import { type CapturedOutput, captureOutput } from './capture-output.js';
import { installFakeAws } from './fake-aws.js';

/**
 * What every handler test file sets up: the fake AWS behind the SDK clients (reset after each
 * test, restored after the file) and the output each test captures (EMF and logs), read through
 * `output`, which always answers for the running test.
 */
export function handlerHarness() {
  const fake = installFakeAws();
  let current: CapturedOutput | undefined;
  const running = () => {
    if (!current) throw new Error('output is captured inside a test only');
    return current;
  };
  beforeEach(() => {
    current = captureOutput();
  });
  afterEach(() => {
    current?.stop();
    current = undefined;
    fake.reset();
  });
  afterAll(() => fake.restore());
  const output: Omit<CapturedOutput, 'stop'> = {
    get lines() {
      return running().lines;
    },
    emf: () => running().emf(),
    metricValues: (name) => running().metricValues(name),
    metricTotal: (name) => running().metricTotal(name),
    logs: () => running().logs(),
  };
  return { fake, output };
}
