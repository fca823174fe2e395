import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { objectPk } from '../core/log-items.js';
import type { LocalStack } from './stack.js';
import { waitFor } from './wait.js';

const SAMPLES = [
  { key: 'demo/hello world.txt', body: 'hello from s3-ingest\n', contentType: 'text/plain' },
  { key: 'demo/report+2026.csv', body: 'month,uploads\nnov,42\n', contentType: 'text/csv' },
  // Same content again: a new S3 event with the same eTag, which the worker counts as a duplicate.
  { key: 'demo/hello world.txt', body: 'hello from s3-ingest\n', contentType: 'text/plain' },
  // Blocked by the local BLOCKED_EXTENSIONS rule: recorded as REJECTED, not copied.
  { key: 'demo/setup.exe', body: 'MZ not really a program', contentType: 'application/octet-stream' },
];

/**
 * Uploads the sample files, waits until the worker has handled them all, and prints their rows.
 *
 * @param signal - aborted when the stack stops: the demo ends at once instead of waiting
 */
export async function runDemo(
  stack: LocalStack,
  print: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const before = stack.metrics.totals();
  const handled = () => {
    const now = stack.metrics.totals();
    return (
      now.ObjectsIngested +
      now.DuplicatesSkipped +
      now.ObjectsRejected +
      now.ObjectsGone -
      (before.ObjectsIngested + before.DuplicatesSkipped + before.ObjectsRejected + before.ObjectsGone)
    );
  };
  for (const [index, sample] of SAMPLES.entries()) {
    signal?.throwIfAborted();
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.names.uploadsBucket,
        Key: sample.key,
        Body: sample.body,
        ContentType: sample.contentType,
        Metadata: { source: 'demo' },
      }),
    );
    print(`[demo] uploaded s3://${stack.names.uploadsBucket}/${sample.key}`);
    // One at a time, so the repeated upload meets a finished first one (a duplicate), not one in progress.
    await waitFor(`the worker to handle ${sample.key}`, () => handled() > index, {
      timeoutMs: 30_000,
      ...(signal && { signal }),
    });
  }
  const documents = DynamoDBDocumentClient.from(stack.clients.dynamodb);
  for (const key of new Set(SAMPLES.map((sample) => sample.key))) {
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: stack.names.uploadLogTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': objectPk(stack.names.uploadsBucket, key) },
      }),
    );
    for (const item of Items) {
      const what =
        item.sk === 'STATE'
          ? `state ${item.status}`
          : `upload ${item.status}${item.reason ? ` (${item.reason})` : ''}`;
      print(
        `[demo] ${item.pk}  ${what}  eTag=${item.eTag ?? '-'} size=${item.size ?? '-'}${item.copiedTo ? ` copied to ${item.copiedTo}` : ''}`,
      );
    }
  }
  const after = stack.metrics.totals();
  print(
    `[demo] done: ingested ${after.ObjectsIngested - before.ObjectsIngested}, ` +
      `duplicates ${after.DuplicatesSkipped - before.DuplicatesSkipped}, ` +
      `rejected ${after.ObjectsRejected - before.ObjectsRejected}`,
  );
}
