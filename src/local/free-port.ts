import { type AddressInfo, createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now (the system picks it), for a server
 * that must be told its port before it starts (DynamoDB Local, moto).
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
