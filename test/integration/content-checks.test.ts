import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/local/stack.js';
import { drained, startTestStack, uploadLogReader } from '../support/pipeline.js';

// Content checks through the real bundle on the local stack: the embedded S3 answers the ranged,
// If-Match read the worker makes of each new object.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const EXE = Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff]);

describe('content checks on the local stack', () => {
  it('rejects an executable uploaded as invoice.pdf, and stores a real PDF with its detected type', async () => {
    const put = (Key: string, Body: Buffer) =>
      stack.clients.s3.send(
        new PutObjectCommand({
          Bucket: stack.names.uploadsBucket,
          Key,
          Body,
          ContentType: 'application/pdf',
        }),
      );
    await put('content/invoice.pdf', EXE);
    await put('content/real.pdf', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'));
    await drained(stack);
    const log = uploadLogReader(stack);
    expect(await log.uploadsOf('content/invoice.pdf')).toMatchObject([
      {
        status: 'REJECTED',
        contentType: 'application/pdf',
        detectedType: 'application/x-msdownload',
        reason: 'content is application/x-msdownload (.exe is blocked), declared application/pdf',
      },
    ]);
    expect(await log.uploadsOf('content/real.pdf')).toMatchObject([
      { status: 'STORED', detectedType: 'application/pdf' },
    ]);
  });
});
