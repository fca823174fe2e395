import type { MiddlewareStack } from '@smithy/types';

/** Any SDK v3 client: only its middleware stack matters here. */
interface InstrumentableClient {
  // biome-ignore lint/suspicious/noExplicitAny: every client's stack has its own input and output types
  readonly middlewareStack: MiddlewareStack<any, any>;
}

/** Counts AWS requests by `Service.Operation`, with SDK middleware on the clients it is attached to. */
export class AwsCallCounter {
  readonly #counts = new Map<string, number>();

  /**
   * Counts every request the client sends, retries included (each attempt is billed), under
   * `label` (defaults to the client's service name).
   */
  attach(client: InstrumentableClient, label?: string): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const service = label ?? String(context.clientName ?? 'Unknown').replace(/Client$/, '');
        const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
        const name = `${service}.${operation}`;
        this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
        return next(args);
      },
      // After the retry middleware, so that every attempt is counted.
      { step: 'finalizeRequest', priority: 'low', name: 'loadtestAwsCallCounter' },
    );
  }

  /** Counts so far, by `Service.Operation`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** `after - before`, per name, leaving out names that did not change. */
export function difference(
  after: Readonly<Record<string, number>>,
  before: Readonly<Record<string, number>>,
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta !== 0) result[name] = delta;
  }
  return result;
}

/** DynamoDB operations that consume write capacity. */
const DYNAMODB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/** The write requests among counted calls (`DynamoDB.PutItem`, ...). */
export function dynamoDbWrites(counts: Readonly<Record<string, number>>): number {
  let writes = 0;
  for (const [name, count] of Object.entries(counts)) {
    const [service, operation] = name.split('.');
    if (service === 'DynamoDB' && operation && DYNAMODB_WRITES.has(operation)) writes += count;
  }
  return writes;
}
