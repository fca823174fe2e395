import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessageBody } from '../../src/core/envelope.js';
import { BACKFILL_SEQUENCER } from '../../src/core/sequencer.js';
import type { ListedObject } from '../../src/tools/backfill.js';
import { backfillBodies, backfillNotification } from '../../src/tools/backfill-notification.js';

/** The notification built in full, as the template must reproduce it. */
const inFull = (bucket: string, region: string, object: ListedObject) =>
  JSON.stringify(backfillNotification(bucket, region, object));

const object = fc.record(
  {
    key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
    eTag: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}(-[0-9]{1,5})?$/), fc.string()),
    size: fc.nat({ max: 5 * 1024 ** 4 }),
    lastModified: fc.date({
      min: new Date('2006-03-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    versionId: fc.string({ minLength: 1, maxLength: 40 }),
  },
  { requiredKeys: ['key', 'eTag', 'size', 'lastModified'] },
);

describe('backfillBodies', () => {
  it('gives the same text as building and serializing each notification in full', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uploads', 'team.bucket-1'),
        fc.constantFrom('us-east-1', 'eu-west-3'),
        fc.array(object, { minLength: 1, maxLength: 5 }),
        (bucket, region, objects) => {
          const bodies = backfillBodies(bucket, region);
          for (const one of objects) expect(bodies(one)).toBe(inFull(bucket, region, one));
        },
      ),
    );
  });

  it('makes notifications the worker reads back as the object listed', () => {
    const body = backfillBodies(
      'uploads',
      'us-east-1',
    )({
      key: 'a dir/b+c%d.txt',
      eTag: 'd41d8cd98f00b204e9800998ecf8427e',
      size: 12,
      lastModified: new Date('2026-11-30T00:00:00Z'),
      versionId: 'v1',
    });
    const parsed = parseMessageBody(body);
    expect(parsed.type === 'object-events' && parsed.events[0]).toMatchObject({
      kind: 'created',
      bucket: 'uploads',
      key: 'a dir/b+c%d.txt',
      eTag: 'd41d8cd98f00b204e9800998ecf8427e',
      size: 12,
      versionId: 'v1',
      sequencer: BACKFILL_SEQUENCER,
      eventName: 'ObjectCreated:Put',
      uploader: 's3-ingest-backfill',
      sourceIp: 'backfill',
    });
  });
});
