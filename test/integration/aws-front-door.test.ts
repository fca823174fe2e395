import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsFrontDoor } from '../../src/local/lambda/aws-front-door.js';

/**
 * A stand-in for the local services: S3 answers GET and HEAD of `/uploads/present.txt` and 404s
 * the rest; DynamoDB refuses every conditional PutItem and knows one item (what the front door reads
 * to complete a failed put's `ALL_OLD`, as AWS does and dynalite does not).
 */
function service(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const json = (status: number, body: object) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (target.endsWith('.PutItem'))
      return json(400, { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' });
    if (target.endsWith('.DescribeTable'))
      return json(200, { Table: { KeySchema: [{ AttributeName: 'pk' }] } });
    if (target.endsWith('.GetItem')) return json(200, { Item: { pk: { S: 'a' }, status: { S: 'OLD' } } });
    if (req.url === '/uploads/present.txt') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5, etag: '"e"' });
      return res.end(req.method === 'HEAD' ? undefined : 'hello');
    }
    res.writeHead(404, { 'content-type': 'application/xml' });
    res.end(req.method === 'HEAD' ? undefined : '<Error><Code>NoSuchKey</Code></Error>');
  });
}

const servers: Server[] = [];
const doors: AwsFrontDoor[] = [];
afterEach(async () => {
  await Promise.all(doors.splice(0).map((door) => door.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function overHttp(): Promise<string> {
  const server = createServer(service);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The answers a worker would get for a HEAD, a GET, a missing key and a refused conditional put. */
async function exchange(door: AwsFrontDoor) {
  const answers = [];
  for (const [method, path] of [
    ['HEAD', '/uploads/present.txt'],
    ['GET', '/uploads/present.txt'],
    ['HEAD', '/uploads/missing.txt'],
  ] as const) {
    const answer = await fetch(`${door.endpoint}${path}`, { method });
    answers.push({
      status: answer.status,
      length: answer.headers.get('content-length'),
      body: await answer.text(),
    });
  }
  const put = await fetch(door.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
    body: JSON.stringify({
      TableName: 'uploads',
      Item: { pk: { S: 'a' } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  });
  answers.push({ status: put.status, body: await put.json() });
  return { answers, calls: door.snapshot(), permissions: door.permissions() };
}

describe('AwsFrontDoor', () => {
  it('answers the same through a service listener in this process as over HTTP', async () => {
    const url = await overHttp();
    const viaHttp = await AwsFrontDoor.start({ s3: url, dynamodb: url }, 'us-east-1');
    const inProcess = await AwsFrontDoor.start({ s3: service, dynamodb: service }, 'us-east-1');
    doors.push(viaHttp, inProcess);

    const expected = await exchange(viaHttp);
    expect(expected.answers).toEqual([
      { status: 200, length: '5', body: '' },
      { status: 200, length: '5', body: 'hello' },
      { status: 404, length: null, body: '' },
      {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
          Item: { pk: { S: 'a' }, status: { S: 'OLD' } },
        },
      },
    ]);
    expect(expected.calls).toEqual({ 'DynamoDB.PutItem': 1, 'S3.GetObject': 1, 'S3.HeadObject': 2 });
    expect(await exchange(inProcess)).toEqual(expected);
  });
});
