import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  javaAvailable,
  type LocalDynamoDb,
  startDynalite,
  startDynamoDbLocal,
} from '../../src/local/dynamodb-server.js';

// The streams kept in front of dynalite, checked against AWS's own DynamoDB Local: the same
// writes, through the SDK over HTTP, must give the same stream records in the same order.

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const clientsOf = (server: LocalDynamoDb) => ({
  dynamodb: new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials }),
  streams: new DynamoDBStreamsClient({ endpoint: server.endpoint, region: 'us-east-1', credentials }),
});
type Clients = ReturnType<typeof clientsOf>;

const s = (value: string) => ({ S: value });

/** The writes both servers get: new items, changes, a no-op, a failed condition, removals, a batch. */
async function writeEverything({ dynamodb }: Clients, table: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { pk: s('a'), sk: s('1'), n: { N: '1' } } }),
  );
  await dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { pk: s('a'), sk: s('1'), n: { N: '2' } } }),
  );
  // The same item again: a write that changes nothing.
  await dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { pk: s('a'), sk: s('1'), n: { N: '2' } } }),
  );
  await expect(
    dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: s('a'), sk: s('1'), n: { N: '3' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  ).rejects.toThrow(/conditional/i);
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: s('b'), sk: s('1') },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': s('STORED') },
    }),
  );
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: s('b'), sk: s('1') },
      UpdateExpression: 'REMOVE #s',
      ExpressionAttributeNames: { '#s': 'status' },
    }),
  );
  await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: s('a'), sk: s('1') } }));
  await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: s('never'), sk: s('1') } }));
  await dynamodb.send(
    new BatchWriteItemCommand({
      RequestItems: {
        [table]: [
          { PutRequest: { Item: { pk: s('c'), sk: s('1'), tags: { SS: ['x', 'y'] } } } },
          { DeleteRequest: { Key: { pk: s('b'), sk: s('1') } } },
        ],
      },
    }),
  );
}

/** Every record of the table's stream, read from the trim horizon in pages of two. */
async function streamOf({ dynamodb, streams }: Clients, table: string) {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn }),
  );
  const records = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: Table?.LatestStreamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (ShardIterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 2 }));
      records.push(...(page.Records ?? []));
      if ((page.Records ?? []).length === 0) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return { Table, StreamDescription, records };
}

describe('DynamoDB Streams in front of dynalite', () => {
  let server: LocalDynamoDb;
  let clients: Clients;
  beforeAll(async () => {
    server = await startDynalite(0);
    clients = clientsOf(server);
    await writeEverything(clients, 'log');
  });
  afterAll(async () => {
    clients?.dynamodb.destroy();
    clients?.streams.destroy();
    await server?.stop();
  });

  it('describes the table with its stream, and lists and describes the stream', async () => {
    const { Table, StreamDescription } = await streamOf(clients, 'log');
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Table?.LatestStreamArn).toBe(`${Table?.TableArn}/stream/${Table?.LatestStreamLabel}`);
    expect(StreamDescription).toMatchObject({ StreamStatus: 'ENABLED', TableName: 'log' });
    const { Streams } = await clients.streams.send(new ListStreamsCommand({ TableName: 'log' }));
    expect(Streams?.map((stream) => stream.StreamArn)).toEqual([Table?.LatestStreamArn]);
  });

  it('records each successful change, in order, with the images before and after it', async () => {
    const { records } = await streamOf(clients, 'log');
    expect(records.map((record) => [record.eventName, record.dynamodb?.Keys?.pk?.S])).toEqual([
      ['INSERT', 'a'],
      ['MODIFY', 'a'],
      ['INSERT', 'b'],
      ['MODIFY', 'b'],
      ['REMOVE', 'a'],
      ['INSERT', 'c'],
      ['REMOVE', 'b'],
    ]);
    expect(records[1]?.dynamodb).toMatchObject({
      OldImage: { n: { N: '1' } },
      NewImage: { n: { N: '2' } },
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    const sequence = records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect([...sequence].sort((x, y) => (x < y ? -1 : 1))).toEqual(sequence);
  });

  it('reads after a sequence number, and refuses an iterator that is not its own', async () => {
    const { Table, StreamDescription, records } = await streamOf(clients, 'log');
    const { ShardIterator } = await clients.streams.send(
      new GetShardIteratorCommand({
        StreamArn: Table?.LatestStreamArn,
        ShardId: StreamDescription?.Shards?.[0]?.ShardId,
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        SequenceNumber: records[4]?.dynamodb?.SequenceNumber,
      }),
    );
    const page = await clients.streams.send(new GetRecordsCommand({ ShardIterator }));
    expect(page.Records?.map((record) => record.eventName)).toEqual(['INSERT', 'REMOVE']);
    await expect(
      clients.streams.send(new GetRecordsCommand({ ShardIterator: 'not-an-iterator' })),
    ).rejects.toThrow(/not a valid iterator/);
  });

  it("answers each write as dynalite does: the caller's ReturnValues, and none it did not ask for", async () => {
    const put = await clients.dynamodb.send(
      new PutItemCommand({ TableName: 'log', Item: { pk: s('rv'), sk: s('1'), n: { N: '1' } } }),
    );
    expect(put.Attributes).toBeUndefined();
    const updated = await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: 'log',
        Key: { pk: s('rv'), sk: s('1') },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': { N: '2' } },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    expect(updated.Attributes).toEqual({ n: { N: '1' } });
    const removed = await clients.dynamodb.send(
      new DeleteItemCommand({ TableName: 'log', Key: { pk: s('rv'), sk: s('1') }, ReturnValues: 'ALL_OLD' }),
    );
    expect(removed.Attributes).toEqual({ pk: s('rv'), sk: s('1'), n: { N: '2' } });
    const { records } = await streamOf(clients, 'log');
    const ofKey = records.filter((record) => record.dynamodb?.Keys?.pk?.S === 'rv');
    expect(
      ofKey.map((record) => [
        record.eventName,
        record.dynamodb?.OldImage?.n?.N,
        record.dynamodb?.NewImage?.n?.N,
      ]),
    ).toEqual([
      ['INSERT', undefined, '1'],
      ['MODIFY', '1', '2'],
      ['REMOVE', '2', undefined],
    ]);
  });

  it('keeps the order of each key under concurrent writers', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        clients.dynamodb.send(
          new UpdateItemCommand({
            TableName: 'log',
            Key: { pk: s(`hot-${index % 2}`), sk: s('1') },
            UpdateExpression: 'ADD n :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        ),
      ),
    );
    const { records } = await streamOf(clients, 'log');
    for (const key of ['hot-0', 'hot-1']) {
      const ofKey = records.filter((record) => record.dynamodb?.Keys?.pk?.S === key);
      expect(ofKey.map((record) => record.dynamodb?.NewImage?.n?.N)).toEqual(
        Array.from({ length: 20 }, (_, index) => String(index + 1)),
      );
      expect(ofKey.slice(1).map((record) => record.dynamodb?.OldImage?.n?.N)).toEqual(
        Array.from({ length: 19 }, (_, index) => String(index + 1)),
      );
    }
  });
});

describe.runIf(javaAvailable() || process.env.CI)('the same writes on AWS DynamoDB Local', () => {
  let servers: LocalDynamoDb[] = [];
  let clients: Clients[] = [];
  beforeAll(async () => {
    servers = [await startDynalite(0), await startDynamoDbLocal(0)];
    clients = servers.map(clientsOf);
    for (const each of clients) await writeEverything(each, 'log');
  }, 90_000);
  afterAll(async () => {
    for (const each of clients) {
      each.dynamodb.destroy();
      each.streams.destroy();
    }
    for (const server of servers) await server.stop();
  });

  it('give the same records, in the same order', async () => {
    const shapeOf = async (each: Clients) =>
      (await streamOf(each, 'log')).records.map((record) => ({
        eventName: record.eventName,
        eventSource: record.eventSource,
        Keys: record.dynamodb?.Keys,
        NewImage: record.dynamodb?.NewImage,
        OldImage: record.dynamodb?.OldImage,
        StreamViewType: record.dynamodb?.StreamViewType,
        created: record.dynamodb?.ApproximateCreationDateTime instanceof Date,
      }));
    const [ours, theirs] = [await shapeOf(clients[0] as Clients), await shapeOf(clients[1] as Clients)];
    expect(theirs.length).toBeGreaterThan(0);
    expect(ours).toEqual(theirs);
  });
});
