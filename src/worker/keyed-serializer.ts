/**
 * Runs tasks that share a key one after another, and tasks with different keys concurrently.
 * Two deliveries of the same notification in one batch would otherwise race into the
 * idempotency table, and the loser would fail with "already in progress" and wait a whole
 * visibility timeout to be retried; in sequence, the second finds the first's result.
 */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every earlier task with the same key has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    // The earlier task's own caller handles its failure; here it only marks when we may start.
    const result = (previous ? previous.then(task, task) : task()) as Promise<T>;
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
