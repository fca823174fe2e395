import {
  Agent,
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DispatchFunc, type InjectOptions, inject } from 'light-my-request';

/** The account local ARNs are made in (what fauxqs uses in queue ARNs). */
export const LOCAL_ACCOUNT = '000000000000';

/** One IAM permission a request needs: an action on a resource ARN. */
export interface Permission {
  readonly action: string;
  readonly resource: string;
}

/** One AWS request as IAM and the bill see it. */
export interface AwsRequest {
  readonly service: 'S3' | 'SQS' | 'DynamoDB' | 'DynamoDBStreams' | 'SNS';
  /** The API operation, named as the SDK's command is (`HeadObject`, `PutItem`, `ReceiveMessage`). */
  readonly operation: string;
  readonly permissions: readonly Permission[];
  /**
   * What a 404 answer also needed: S3 answers a read of a missing key with 404 only to a caller
   * that may list the bucket (403 to others), so the worker's "is it gone?" check uses `s3:ListBucket`.
   */
  readonly whenMissing?: Permission;
}

/** Where the front door forwards a service's requests: its URL, or its request listener in this process. */
export type Upstream = string | DispatchFunc;

/** Faults the front door answers instead of the service, as AWS sometimes does. */
export interface FaultSettings {
  /** Share (0..1) of DynamoDB writes answered with throttling (400) or InternalServerError (500). */
  dynamodbWriteRate: number;
  /** Share (0..1) of S3 HeadObject and copy requests answered with 500 InternalError or 503 SlowDown. */
  s3Rate: number;
  /** While true, DynamoDB is unreachable: connections are reset. */
  dynamodbDown: boolean;
}

/** Faults injected so far, by kind. */
export type FaultCounts = Record<
  'dynamodbThrottle' | 'dynamodbServerError' | 'dynamodbUnreachable' | 's3ServerError' | 's3SlowDown',
  number
>;

const DYNAMODB_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/** The IAM action of an SQS operation: the batch forms need the single form's permission. */
const SQS_ACTION: Readonly<Record<string, string>> = {
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
  SendMessageBatch: 'SendMessage',
};

const s3Object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

/** The S3 object a copy reads, from `x-amz-copy-source` (`bucket/key?versionId=...`, URL-encoded). */
function copySourceOf(header: string): { arn: string; versioned: boolean } {
  const [path = '', query = ''] = header.replace(/^\//, '').split('?');
  const decoded = decodeURIComponent(path);
  const slash = decoded.indexOf('/');
  return {
    arn: s3Object(decoded.slice(0, slash), decoded.slice(slash + 1)),
    versioned: new URLSearchParams(query).has('versionId'),
  };
}

/**
 * Names an S3 REST request (path style, as the SDK sends it to an IP endpoint) and the permissions
 * IAM checks for it. Reads of a given version need the `...Version` action.
 */
export function describeS3Request(
  method: string,
  url: string,
  headers: IncomingMessage['headers'],
): AwsRequest {
  const parsed = new URL(url, 'http://local');
  const [, bucket = '', ...keyParts] = parsed.pathname.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const query = parsed.searchParams;
  const versioned = query.has('versionId');
  const copySource =
    typeof headers['x-amz-copy-source'] === 'string' ? headers['x-amz-copy-source'] : undefined;
  const s3 = (operation: string, permissions: Permission[]): AwsRequest => ({
    service: 'S3',
    operation,
    permissions,
  });
  const read = (operation: string): AwsRequest => ({
    ...s3(operation, [
      { action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: s3Object(bucket, key) },
    ]),
    whenMissing: { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` },
  });
  const write = (operation: string) => {
    const permissions: Permission[] = [{ action: 's3:PutObject', resource: s3Object(bucket, key) }];
    if (copySource) {
      const source = copySourceOf(copySource);
      permissions.push({
        action: source.versioned ? 's3:GetObjectVersion' : 's3:GetObject',
        resource: source.arn,
      });
    }
    return s3(operation, permissions);
  };
  if (keyParts.length === 0 || key === '') {
    const bucketArn = `arn:aws:s3:::${bucket}`;
    if (method === 'GET' && query.has('versions'))
      return s3('ListObjectVersions', [{ action: 's3:ListBucketVersions', resource: bucketArn }]);
    if (method === 'GET') return s3('ListObjectsV2', [{ action: 's3:ListBucket', resource: bucketArn }]);
    if (method === 'HEAD') return s3('HeadBucket', [{ action: 's3:ListBucket', resource: bucketArn }]);
    return s3(`${method}Bucket`, [{ action: `s3:${method}Bucket`, resource: bucketArn }]);
  }
  switch (method) {
    case 'HEAD':
      return read('HeadObject');
    case 'GET':
      return read('GetObject');
    case 'PUT':
      if (query.has('partNumber')) return write(copySource ? 'UploadPartCopy' : 'UploadPart');
      return write(copySource ? 'CopyObject' : 'PutObject');
    case 'POST':
      if (query.has('uploads')) return write('CreateMultipartUpload');
      if (query.has('uploadId')) return write('CompleteMultipartUpload');
      return write('PostObject');
    case 'DELETE':
      if (query.has('uploadId'))
        return s3('AbortMultipartUpload', [
          { action: 's3:AbortMultipartUpload', resource: s3Object(bucket, key) },
        ]);
      return s3('DeleteObject', [
        { action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: s3Object(bucket, key) },
      ]);
    default:
      return s3(`${method}Object`, [{ action: `s3:${method}Object`, resource: s3Object(bucket, key) }]);
  }
}

/** Names a JSON-protocol request (DynamoDB, SQS) from its `X-Amz-Target` and body. */
export function describeJsonRequest(target: string, body: string, region: string): AwsRequest | undefined {
  const [prefix = '', operation = ''] = target.split('.');
  let input: { TableName?: string; QueueUrl?: string } = {};
  try {
    input = JSON.parse(body) as typeof input;
  } catch {
    // A body that is not JSON names no resource; the service answers it.
  }
  if (prefix.startsWith('DynamoDB_')) {
    const table = input.TableName ?? '*';
    return {
      service: 'DynamoDB',
      operation,
      permissions: [
        {
          action: `dynamodb:${operation}`,
          resource: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${table}`,
        },
      ],
    };
  }
  if (prefix.startsWith('DynamoDBStreams_')) {
    // IAM names a stream's calls `dynamodb:*` on the stream's ARN; ListStreams has no resource.
    const stream = (input as { StreamArn?: string }).StreamArn;
    return {
      service: 'DynamoDBStreams',
      operation,
      permissions: [
        { action: `dynamodb:${operation}`, resource: operation === 'ListStreams' ? '*' : (stream ?? '*') },
      ],
    };
  }
  if (prefix === 'AmazonSQS') {
    const queue = input.QueueUrl?.split('/').slice(-2);
    const resource = queue ? `arn:aws:sqs:${region}:${queue[0]}:${queue[1]}` : '*';
    return {
      service: 'SQS',
      operation,
      permissions: [{ action: `sqs:${SQS_ACTION[operation] ?? operation}`, resource }],
    };
  }
  return undefined;
}

/** A string field of a JSON body, or '' when there is none. */
function jsonField(body: Buffer, name: string): string {
  try {
    const value = (JSON.parse(body.toString('utf8')) as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/** The IAM action of an SNS operation: `PublishBatch` needs `sns:Publish`. */
const SNS_ACTION: Readonly<Record<string, string>> = { PublishBatch: 'Publish' };

/** Names an SNS request (the query protocol: a form body with `Action` and `TopicArn`). */
export function describeSnsRequest(body: string): AwsRequest | undefined {
  const form = new URLSearchParams(body);
  const operation = form.get('Action');
  if (!operation) return undefined;
  return {
    service: 'SNS',
    operation,
    permissions: [
      { action: `sns:${SNS_ACTION[operation] ?? operation}`, resource: form.get('TopicArn') ?? '*' },
    ],
  };
}

const random = Math.random;

/**
 * A proxy between the worker (its execution environments and its event source) and the local
 * services, standing where AWS's own front door does: it records every request with the IAM
 * permissions it needs (what the deploy-parity tests check against the role in the template) and
 * the calls the bill counts, and it can answer as AWS does under stress: throttling and server
 * errors, or no answer at all.
 */
export class AwsFrontDoor {
  /** Requests by `Service.Operation`, every attempt counted (each one is billed). */
  readonly #calls = new Map<string, number>();
  /** Distinct permissions the requests needed, by `action resource`. */
  readonly #permissions = new Map<string, Permission>();
  readonly faults: FaultSettings = { dynamodbWriteRate: 0, s3Rate: 0, dynamodbDown: false };
  readonly faultsInjected: FaultCounts = {
    dynamodbThrottle: 0,
    dynamodbServerError: 0,
    dynamodbUnreachable: 0,
    s3ServerError: 0,
    s3SlowDown: 0,
  };
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });

  private constructor(
    private readonly server: Server,
    /** The endpoint the worker's clients use (S3, SQS and DynamoDB all answer on it). */
    readonly endpoint: string,
  ) {}

  /**
   * Listens on 127.0.0.1 (a free port) in front of `upstream.s3` (S3 and SQS, fauxqs) and
   * `upstream.dynamodb`, each a URL or, for a service in this process, its request listener.
   */
  static async start(upstream: { s3: Upstream; dynamodb: Upstream }, region: string): Promise<AwsFrontDoor> {
    let door: AwsFrontDoor | undefined;
    const server = createServer((req, res) => {
      door?.handle(req, res, upstream, region).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    door = new AwsFrontDoor(server, `http://127.0.0.1:${port}`);
    return door;
  }

  /** Calls so far, by `Service.Operation` (the load test's call counts). */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#calls].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Every distinct permission the requests so far needed. */
  permissions(): Permission[] {
    return [...this.#permissions.values()];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.#agent.destroy();
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: { s3: Upstream; dynamodb: Upstream },
    region: string,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = req.headers['x-amz-target'];
    const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    let described =
      typeof target === 'string'
        ? describeJsonRequest(target, body.toString('utf8'), region)
        : isForm && req.method === 'POST' && (req.url ?? '/').split('?')[0] === '/'
          ? describeSnsRequest(body.toString('utf8'))
          : describeS3Request(req.method ?? 'GET', req.url ?? '/', req.headers);
    if (described?.service === 'DynamoDBStreams' && described.operation === 'GetRecords')
      described = this.withIteratorStream(described, body);
    if (described) this.record(described);
    if (described && this.injectFault(described, req, res)) return;
    const toDynamoDb = described?.service === 'DynamoDB' || described?.service === 'DynamoDBStreams';
    const service = toDynamoDb ? upstream.dynamodb : upstream.s3;
    const answer = await this.forward(service, req.method ?? 'GET', req.url ?? '/', req.headers, body);
    if (described?.service === 'DynamoDBStreams' && answer.status === 200)
      this.rememberIterators(described, body, answer.body);
    if (answer.status === 404 && described?.whenMissing)
      this.record({ ...described, permissions: [described.whenMissing] }, false);
    const completed =
      described?.service === 'DynamoDB' && described.operation === 'PutItem' && answer.status === 400
        ? await this.withExistingItem(service, req.headers, body, answer.body)
        : undefined;
    if (!completed) {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
    res.writeHead(answer.status, { ...headers, 'content-length': completed.length });
    res.end(completed);
  }

  /**
   * Sends a request upstream and reads the whole answer (the worker's requests and answers are
   * small). A service in this process gets it through its request listener, with no socket: the
   * same request and answer, without a second HTTP round trip on the event loop they share.
   */
  private async forward(
    upstream: Upstream,
    method: string,
    path: string,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }> {
    if (typeof upstream !== 'string') {
      const answer = await inject(upstream, {
        method: method as InjectOptions['method'],
        url: path,
        headers,
        payload: body,
      });
      return { status: answer.statusCode, headers: answer.headers, body: answer.rawPayload };
    }
    const base = new URL(upstream);
    return new Promise((resolve, reject) => {
      const forwarded = request(
        {
          agent: this.#agent,
          hostname: base.hostname,
          port: base.port,
          method,
          path,
          headers: { ...headers, host: base.host },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.once('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks),
            }),
          );
          answer.once('error', reject);
        },
      );
      forwarded.once('error', reject);
      forwarded.end(body);
    });
  }

  readonly #keyNames = new Map<string, string[]>();

  /**
   * AWS returns the existing item with a failed conditional put that asks for it
   * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`); dynalite does not. Reads it, and adds it to
   * the failure as AWS would. @returns the completed answer, or undefined to pass it on as it is
   */
  private async withExistingItem(
    service: Upstream,
    headers: IncomingMessage['headers'],
    requestBody: Buffer,
    answerBody: Buffer,
  ): Promise<Buffer | undefined> {
    const asked = JSON.parse(requestBody.toString('utf8')) as {
      TableName: string;
      Item: Record<string, unknown>;
      ReturnValuesOnConditionCheckFailure?: string;
    };
    const failure = JSON.parse(answerBody.toString('utf8')) as { __type?: string; Item?: unknown };
    if (asked.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') return undefined;
    if (!failure.__type?.endsWith('ConditionalCheckFailedException') || failure.Item) return undefined;
    const call = async (operation: string, input: object) => {
      const answer = await this.forward(
        service,
        'POST',
        '/',
        {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          // The local DynamoDB wants a signature to be there; it checks none.
          ...(headers.authorization !== undefined && { authorization: headers.authorization }),
          ...(headers['x-amz-date'] !== undefined && { 'x-amz-date': headers['x-amz-date'] }),
        },
        Buffer.from(JSON.stringify(input)),
      );
      return JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
    };
    let keyNames = this.#keyNames.get(asked.TableName);
    if (!keyNames) {
      const described = (await call('DescribeTable', { TableName: asked.TableName })) as {
        Table?: { KeySchema?: { AttributeName: string }[] };
      };
      keyNames = (described.Table?.KeySchema ?? []).map((key) => key.AttributeName);
      this.#keyNames.set(asked.TableName, keyNames);
    }
    const key = Object.fromEntries(keyNames.map((name) => [name, asked.Item[name]]));
    const { Item } = await call('GetItem', { TableName: asked.TableName, Key: key, ConsistentRead: true });
    return Item ? Buffer.from(JSON.stringify({ ...failure, Item })) : undefined;
  }

  /** The stream each shard iterator reads (an iterator does not name it; GetRecords needs it in IAM). */
  readonly #iteratorStreams = new Map<string, string>();

  private withIteratorStream(described: AwsRequest, body: Buffer): AwsRequest {
    const stream = this.#iteratorStreams.get(jsonField(body, 'ShardIterator')) ?? '*';
    return { ...described, permissions: [{ action: 'dynamodb:GetRecords', resource: stream }] };
  }

  private rememberIterators(described: AwsRequest, requestBody: Buffer, answerBody: Buffer): void {
    const stream =
      described.operation === 'GetShardIterator'
        ? jsonField(requestBody, 'StreamArn')
        : described.permissions[0]?.resource;
    // One entry per live iterator: the one just read is spent (the next may be the same token).
    if (described.operation === 'GetRecords')
      this.#iteratorStreams.delete(jsonField(requestBody, 'ShardIterator'));
    const next = jsonField(answerBody, 'ShardIterator') || jsonField(answerBody, 'NextShardIterator');
    if (next && stream && stream !== '*') this.#iteratorStreams.set(next, stream);
  }

  private record(described: AwsRequest, count = true): void {
    const name = `${described.service}.${described.operation}`;
    if (count) this.#calls.set(name, (this.#calls.get(name) ?? 0) + 1);
    for (const permission of described.permissions)
      this.#permissions.set(`${permission.action} ${permission.resource}`, permission);
  }

  /** Answers in the service's place when a fault is due; true when it did. */
  private injectFault(described: AwsRequest, req: IncomingMessage, res: ServerResponse): boolean {
    const { faults, faultsInjected } = this;
    if (described.service === 'DynamoDB') {
      if (faults.dynamodbDown) {
        faultsInjected.dynamodbUnreachable += 1;
        req.socket.destroy();
        return true;
      }
      if (DYNAMODB_WRITES.has(described.operation) && random() < faults.dynamodbWriteRate) {
        const throttle = random() < 0.5;
        faultsInjected[throttle ? 'dynamodbThrottle' : 'dynamodbServerError'] += 1;
        const type = throttle ? 'ProvisionedThroughputExceededException' : 'InternalServerError';
        res.writeHead(throttle ? 400 : 500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'injected fault' }),
        );
        return true;
      }
      return false;
    }
    const s3Faulted = ['HeadObject', 'CopyObject', 'UploadPartCopy'].includes(described.operation);
    if (described.service === 'S3' && s3Faulted && random() < faults.s3Rate) {
      const slowDown = random() < 0.5;
      faultsInjected[slowDown ? 's3SlowDown' : 's3ServerError'] += 1;
      const code = slowDown ? 'SlowDown' : 'InternalError';
      res.writeHead(slowDown ? 503 : 500, { 'content-type': 'application/xml' });
      res.end(
        req.method === 'HEAD'
          ? undefined
          : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`,
      );
      return true;
    }
    return false;
  }
}
