import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../src/concurrency.js';

describe('forEachLimited', () => {
  it('runs at most `limit` at once and every item once', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(item);
      running -= 1;
    });
    expect(most).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing after a failure, lets the running items settle, then throws that failure', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4, 5, 6], 2, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('part 2 failed');
        await new Promise((resolve) => setImmediate(resolve));
        settled.push(item);
      }),
    ).rejects.toThrow('part 2 failed');
    expect(started).toEqual([1, 2]);
    expect(settled).toEqual([1]);
  });
});
