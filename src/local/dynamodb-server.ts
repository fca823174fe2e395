import { spawn, spawnSync } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { DispatchFunc } from 'light-my-request';
import { DynaliteStreams } from './dynalite-streams.js';
import { freeLoopbackPort } from './free-port.js';
import { waitFor } from './wait.js';

/** DynamoDB implementations the local stack can run: dynalite in-process, or AWS's DynamoDB Local (Java). */
export type DynamoDbBackend = 'dynalite' | 'dynamodb-local';

/** Every backend, for flags and test matrices. */
export const DYNAMODB_BACKENDS: readonly DynamoDbBackend[] = ['dynalite', 'dynamodb-local'];

/** A running local DynamoDB. */
export interface LocalDynamoDb {
  readonly backend: DynamoDbBackend;
  readonly endpoint: string;
  readonly port: number;
  /** The server's request listener, when it runs in this process: requests can skip the socket. */
  readonly dispatch?: (req: IncomingMessage, res: ServerResponse) => void;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on 127.0.0.1, behind the streams it lacks (`DynaliteStreams`):
 * a table created with a `StreamSpecification` has a stream of its writes on the same endpoint.
 * Tables are ACTIVE at once; it has no TTL and no transactions, which the worker does not need.
 *
 * @param port - 0 picks a free port
 */
export async function startDynalite(port: number): Promise<LocalDynamoDb> {
  const store = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const streams = new DynaliteStreams(store.listeners('request')[0] as DispatchFunc);
  const server = createHttpServer(streams.listener);
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
    dispatch: streams.listener,
    port: actualPort,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Where `npm ci` put AWS's DynamoDB Local (the jar ships inside `amplify-dynamodb-simulator`). */
export function dynamoDbLocalDirectory(): string {
  const packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  return join(dirname(packageJson), 'emulator');
}

/** Whether a Java runtime is on the PATH; AWS's DynamoDB Local needs one. */
export function javaAvailable(): boolean {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return result.status === 0;
}

/**
 * The launcher that binds DynamoDB Local to 127.0.0.1 (it has no option for that itself and would
 * listen on every interface); run by Java's source launcher, nothing is compiled ahead.
 */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./java/LoopbackDynamoDbLocal.java', import.meta.url));

/**
 * Starts AWS's DynamoDB Local (Java) in memory, listening on 127.0.0.1 only, without telemetry.
 *
 * @param port - 0 picks a free port
 * @throws {Error} when Java is missing or the server does not answer within 60 s
 */
export async function startDynamoDbLocal(port: number): Promise<LocalDynamoDb> {
  if (!javaAvailable()) throw new Error('AWS DynamoDB Local needs Java on the PATH (java -version failed)');
  const actualPort = port === 0 ? await freeLoopbackPort() : port;
  const directory = dynamoDbLocalDirectory();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
      '-cp',
      [join(directory, 'DynamoDBLocal.jar'), join(directory, 'DynamoDBLocal_lib', '*')].join(delimiter),
      LOOPBACK_LAUNCHER,
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(actualPort),
    ],
    { cwd: directory, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString()}`.slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${actualPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const probe = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await waitFor(
      'DynamoDB Local to answer',
      async () => {
        if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${stderr.trim()}`);
        await probe.send(new ListTablesCommand({}));
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { backend: 'dynamodb-local', endpoint, port: actualPort, stop };
}

/** Starts the chosen backend. */
export function startDynamoDb(backend: DynamoDbBackend, port: number): Promise<LocalDynamoDb> {
  return backend === 'dynamodb-local' ? startDynamoDbLocal(port) : startDynalite(port);
}
