import type { EmfDocument } from './emf-totals.js';
import type { InvocationReport } from './event-source-poller.js';

/** Subscribers to one kind of event; `on` returns the unsubscribe. */
class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of this.#listeners) listener(value);
  }
}

/** What the local stack's worker does, as it happens: its EMF lines, and its invocations. */
export class StackActivity {
  /** Every EMF document the worker emitted, parsed once for every listener. */
  readonly emf = new Listeners<EmfDocument>();
  /** Every invocation, when it ends. */
  readonly invocations = new Listeners<InvocationReport>();
}
