import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from '../../src/worker/keyed-serializer.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KeyedSerializer', () => {
  it('runs tasks with the same key one after another, even after a failure', async () => {
    // Prepare
    const serializer = new KeyedSerializer();
    const order: string[] = [];
    const gate = deferred();
    // Act
    const first = serializer.run('k', async () => {
      order.push('first:start');
      await gate.promise;
      order.push('first:end');
      throw new Error('boom');
    });
    const second = serializer.run('k', async () => {
      order.push('second');
      return 2;
    });
    gate.resolve();
    // Assess
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
    expect(order).toEqual(['first:start', 'first:end', 'second']);
  });

  it('runs tasks with different keys concurrently', async () => {
    const serializer = new KeyedSerializer();
    const gate = deferred();
    const blocked = serializer.run('a', () => gate.promise.then(() => 'a'));
    await expect(serializer.run('b', async () => 'b')).resolves.toBe('b');
    gate.resolve();
    await expect(blocked).resolves.toBe('a');
  });
});
