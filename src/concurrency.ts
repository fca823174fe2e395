/**
 * Runs `work` on every item, at most `limit` at once, in order of start; `done` counts finished
 * items. After the first failure no further item is started, and that failure is thrown once the
 * items already running have settled, so a caller never cleans up under work still in flight.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, done: number, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  const loop = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        await work(items[index] as T, done, index);
        done += 1;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, loop));
  if (failure) throw failure.error;
}
