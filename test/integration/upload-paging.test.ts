import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUploadRow } from '../../src/core/log-items.js';
import type { CreatedObjectEvent } from '../../src/core/types.js';
import { type LocalDynamoDb, startDynalite } from '../../src/local/dynamodb-server.js';
import { createTables, DEFAULT_RESOURCE_NAMES } from '../../src/local/resources.js';
import { decodeCursor, type LogRow, UploadQueries } from '../../src/tools/upload-queries.js';

// The byBucketDay index of a real (emulated) table: pages across buckets and days, and what each page costs.
let dynamodb: LocalDynamoDb;
let client: DynamoDBClient;
let queries: UploadQueries;
const counted = { queries: 0, items: 0 };
const table = DEFAULT_RESOURCE_NAMES.uploadLogTable;
const DAY = '2026-11-20';

function row(bucket: string, key: string, eventTime: string, eTag = `etag-${key}`): Record<string, unknown> {
  const event: CreatedObjectEvent = {
    kind: 'created',
    bucket,
    key,
    eTag,
    size: 1,
    eventName: 'ObjectCreated:Put',
    eventTime,
    sequencer: '01',
  };
  return { ...buildUploadRow(event, { status: 'STORED' }, Date.parse(eventTime), { gsiShardCount: 8 }) };
}

async function put(rows: Record<string, unknown>[]): Promise<void> {
  const documents = DynamoDBDocumentClient.from(client);
  for (let i = 0; i < rows.length; i += 25) {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: { [table]: rows.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
}

async function allPages(
  options: Omit<Parameters<UploadQueries['byBuckets']>[0], 'after'>,
): Promise<{ rows: LogRow[]; pages: number }> {
  const rows: LogRow[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await queries.byBuckets({ ...options, ...(after && { after }) });
    rows.push(...page.rows);
    after = page.next;
    pages += 1;
  } while (after && pages < 100);
  return { rows, pages };
}

beforeAll(async () => {
  dynamodb = await startDynalite(0);
  client = new DynamoDBClient({
    endpoint: dynamodb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') {
        counted.queries += 1;
        counted.items += ((result.output as { ScannedCount?: number }).ScannedCount ?? 0) as number;
      }
      return result;
    },
    { step: 'initialize', name: 'countQueries' },
  );
  await createTables(client, DEFAULT_RESOURCE_NAMES);
  queries = new UploadQueries(client, table);
  // Two buckets, 11 rows each, some at the same instant, one key in both buckets at the same time.
  const rows = ['alpha', 'beta'].flatMap((bucket, b) =>
    Array.from({ length: 11 }, (_, i) =>
      row(bucket, `k${String(i).padStart(2, '0')}`, `${DAY}T10:00:0${Math.floor(i / 3)}.00${b}Z`),
    ),
  );
  // Two contents of one key at one instant (an overwrite within a millisecond): a tie on gsi1sk.
  rows.push(row('alpha', 'tie', `${DAY}T11:00:00.000Z`, 'first'));
  rows.push(row('alpha', 'tie', `${DAY}T11:00:00.000Z`, 'second'));
  // 2,000 rows on the next day: a page of the first day must not read them.
  for (let i = 0; i < 2000; i += 1) rows.push(row('alpha', `bulk/${i}`, '2026-11-21T08:00:00.000Z'));
  await put(rows);
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
});

describe('uploads paging', () => {
  it('pages across two buckets without losing or repeating a row, ties of time and key included', async () => {
    // Act: 5 rows a page over two buckets' 24 rows of one day.
    const { rows, pages } = await allPages({
      buckets: ['alpha', 'beta'],
      from: new Date(`${DAY}T00:00:00Z`),
      to: new Date(`${DAY}T23:59:59Z`),
      shardCount: 8,
      limit: 5,
    });
    // Assess
    const ids = rows.map((r) => `${r.pk}|${r.sk}`);
    expect(rows).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    expect(pages).toBe(5);
    expect(rows.filter((r) => r.key === 'tie').map((r) => r.sk)).toEqual(['first', 'second']);
    const order = rows.map((r) => String(r.gsi1sk));
    expect(order).toEqual([...order].sort());
  });

  it('reads one day of partitions for a page the first day fills, with a Limit on each query', async () => {
    counted.queries = 0;
    counted.items = 0;
    // Act: a 50-row page of a two-day range whose second day holds 2,000 rows.
    const page = await queries.byBuckets({
      buckets: ['alpha'],
      from: new Date('2026-11-21T00:00:00Z'),
      to: new Date('2026-11-22T23:00:00Z'),
      shardCount: 8,
      limit: 50,
    });
    // Assess: 8 shards, each asked for 51 items at most.
    expect(page.rows).toHaveLength(50);
    expect(page.next).toBeDefined();
    expect(counted.queries).toBe(8);
    expect(counted.items).toBeLessThanOrEqual(8 * 51);
    console.info(`queries per 50-row page: ${counted.queries}, items read: ${counted.items}`);
  });

  it("pages in the byte order DynamoDB sorts keys in, not JavaScript's UTF-16 order", async () => {
    // Prepare: at one instant, a key in the private use area and one with an emoji. By UTF-8 bytes
    // (DynamoDB) U+E000 sorts first; by UTF-16 units (JavaScript's <) the emoji's surrogate does.
    const time = '2026-11-19T09:00:00.000Z';
    await put([row('beta', '\ue000.txt', time), row('beta', '\u{1F600}.txt', time)]);
    // Act
    const { rows } = await allPages({
      buckets: ['beta'],
      from: new Date('2026-11-19T00:00:00Z'),
      to: new Date('2026-11-19T23:00:00Z'),
      shardCount: 8,
      limit: 1,
    });
    // Assess
    expect(rows.map((r) => r.key)).toEqual(['\ue000.txt', '\u{1F600}.txt']);
  });

  it('refuses a range longer than 31 days and a cursor it did not make', async () => {
    await expect(
      queries.byBuckets({
        buckets: ['alpha'],
        from: new Date('2025-01-01T00:00:00Z'),
        to: new Date('2026-01-01T00:00:00Z'),
        shardCount: 8,
        limit: 5,
      }),
    ).rejects.toThrow(/at most 31 days/);
    expect(() => decodeCursor("2026-11-20T10:00:00.000Z#k'$(touch x)'")).toThrow(/cursor an earlier page/);
  });

  it('prints cursors of nothing but base64url characters, whatever the key holds', async () => {
    // Prepare: a key that would break out of quotes in a shell.
    await put([row('alpha', "x'$(touch pwned)'\n", `${DAY}T00:00:00.500Z`)]);
    // Act
    const page = await queries.byBuckets({
      buckets: ['alpha'],
      from: new Date(`${DAY}T00:00:00Z`),
      to: new Date(`${DAY}T01:00:00Z`),
      shardCount: 8,
      limit: 1,
    });
    const more = await queries.byBuckets({
      buckets: ['alpha'],
      from: new Date(`${DAY}T00:00:00Z`),
      to: new Date(`${DAY}T23:00:00Z`),
      shardCount: 8,
      limit: 1,
    });
    // Assess
    expect(page.rows[0]?.key).toBe("x'$(touch pwned)'\n");
    expect(more.next).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(more.next ?? '')[1]).toBe("s3://alpha/x'$(touch pwned)'\n");
  });
});
