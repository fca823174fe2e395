import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { busyWhile } from './event-loop.js';

/**
 * Measures the raw rate of conditional PutItem calls (`attribute_not_exists`, items the size of an
 * upload row) that this DynamoDB sustains at `concurrency` calls in flight, on a scratch table it
 * creates and deletes.
 *
 * @returns puts per second, and how busy this process's event loop was while they ran
 */
export async function measureConditionalPutRate(
  dynamodb: DynamoDBClient,
  options: { concurrency: number; puts: number; runId: string },
): Promise<{ putsPerSec: number; eventLoopBusy: number }> {
  const table = `loadtest-calibration-${options.runId}`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  try {
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: table });
    const filler = 'x'.repeat(400);
    let next = 0;
    const started = performance.now();
    const loop = async () => {
      for (let i = next++; i < options.puts; i = next++) {
        await dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: `s3://calibration/${options.runId}/${i}` },
              sk: { S: 'UPLOAD#0000000000000000#etag' },
              attributes: { S: filler },
              size: { N: String(i) },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
    };
    const { busy } = await busyWhile(() =>
      Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, loop)),
    );
    return { putsPerSec: options.puts / ((performance.now() - started) / 1000), eventLoopBusy: busy };
  } finally {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  }
}
