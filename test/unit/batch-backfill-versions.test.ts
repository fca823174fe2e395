import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ObjectHead, ObjectRef, ObjectStore } from '../../src/adapters/object-store.js';
import { createBatchBackfillHandler } from '../../src/worker/batch-backfill.js';

// A Batch Operations job over a versioned bucket: only the current version may be enqueued, or
// the last task to end would set the state row to whichever version it named.
const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
afterAll(() => sqs.restore());

/** A versioned bucket's current versions, as HeadObject (without a version) answers. */
function currentVersions(current: Record<string, ObjectHead>): ObjectStore & { asked: ObjectRef[] } {
  const asked: ObjectRef[] = [];
  return {
    asked,
    head: async (ref) => {
      asked.push(ref);
      return current[ref.key];
    },
    readStart: async () => ({ bytes: new Uint8Array() }),
    copy: async () => 'copied',
    tagsOf: async () => ({}),
  };
}

const task = (taskId: string, s3Key: string, s3VersionId: string | null) => ({
  taskId,
  s3Key,
  s3VersionId,
  s3Bucket: 'uploads',
});

describe('the Batch Operations backfill over versions', () => {
  it('enqueues the current version only; an old version succeeds as skipped; null means current', async () => {
    // Prepare: doc.txt has v1 (old) and v2 (current); legacy.txt's current version predates versioning.
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const objects = currentVersions({
      'doc.txt': { eTag: 'e2', size: 2, versionId: 'v2', metadata: {} },
      'legacy.txt': { eTag: 'e0', size: 9, metadata: {} },
    });
    const handler = createBatchBackfillHandler({
      objects,
      sqs: new SQSClient({ region: 'us-east-1' }),
      ingestQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest',
      region: 'us-east-1',
    });
    // Act: tasks in the order a report lists them, the old version last.
    const response = await handler({
      invocationSchemaVersion: '2.0',
      invocationId: 'inv',
      tasks: [
        task('t-v2', 'doc.txt', 'v2'),
        task('t-legacy', 'legacy.txt', 'null'),
        task('t-v1', 'doc.txt', 'v1'),
      ],
    });
    // Assess
    expect(response.results.map((r) => [r.taskId, r.resultCode])).toEqual([
      ['t-v2', 'Succeeded'],
      ['t-legacy', 'Succeeded'],
      ['t-v1', 'Succeeded'],
    ]);
    expect(response.results[2]?.resultString).toMatch(/not the current version/);
    const sent = sqs
      .commandCalls(SendMessageCommand)
      .map((call) => JSON.parse(String(call.args[0].input.MessageBody)).Records[0].s3.object);
    expect(sent).toEqual([
      expect.objectContaining({ key: 'doc.txt', eTag: 'e2', versionId: 'v2', size: 2 }),
      expect.not.objectContaining({ versionId: expect.anything() }),
    ]);
    expect(sent[1]).toMatchObject({ key: 'legacy.txt', eTag: 'e0' });
    // Every head asks for the current version, never a named one.
    expect(objects.asked.every((ref) => ref.versionId === undefined)).toBe(true);
  });
});
