import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

/** DynamoDB implementations the local stack can run. */
export type DynamoDbBackend = 'dynalite';

/** A running local DynamoDB. */
export interface LocalDynamoDb {
  readonly backend: DynamoDbBackend;
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on 127.0.0.1. Tables are ACTIVE at once; it has no TTL and
 * no transactions, which the worker does not need.
 *
 * @param port - 0 picks a free port
 */
export async function startDynalite(port: number): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    backend: 'dynalite',
    endpoint: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
