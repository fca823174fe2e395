import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { javaAvailable, startDynamoDbLocal } from '../../src/local/dynamodb-server.js';

/** Local addresses (hex, as /proc/net/tcp{,6} print them) of every socket listening on `port`. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // st 0A is LISTEN
      .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A')
      .map((fields) => fields[1]?.split(':')[0] ?? ''),
  );
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const IPV4_LOOPBACK = '0100007F';
const IPV4_MAPPED_LOOPBACK = '0000000000000000FFFF00000100007F';

describe('AWS DynamoDB Local', () => {
  it('listens on 127.0.0.1 only, not on the machine’s other addresses', async () => {
    if (!javaAvailable()) {
      console.warn('AWS DynamoDB Local not tested: no Java on the PATH');
      return;
    }
    const local = await startDynamoDbLocal(0);
    try {
      const addresses = listeningAddresses(local.port);
      expect(addresses.length).toBeGreaterThan(0);
      expect(
        addresses.every((address) => address === IPV4_LOOPBACK || address === IPV4_MAPPED_LOOPBACK),
      ).toBe(true);
      const other = Object.values(networkInterfaces())
        .flat()
        .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
      if (other) expect(await accepts(other.address, local.port)).toBe(false);
      const client = new DynamoDBClient({
        endpoint: local.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      client.destroy();
    } finally {
      await local.stop();
    }
  }, 90_000);
});
