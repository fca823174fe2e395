import { encodeS3EventKey } from '../core/s3-key.js';
import { buildS3Notification } from '../core/s3-notification.js';
import { BACKFILL_SEQUENCER } from '../core/sequencer.js';
import type { ListedObject } from './backfill.js';

/** The notification a backfill sends for one object, built in full: ObjectCreated:Put, the backfill's own sequencer. */
export function backfillNotification(bucket: string, region: string, object: ListedObject) {
  return buildS3Notification({
    eventName: 'ObjectCreated:Put',
    bucket,
    key: object.key,
    eTag: object.eTag,
    size: object.size,
    ...(object.versionId !== undefined && { versionId: object.versionId }),
    eventTime: object.lastModified,
    sequencer: BACKFILL_SEQUENCER,
    principalId: 's3-ingest-backfill',
    sourceIp: 'backfill',
    requestId: 'BACKFILL',
    region,
  });
}

/** A field that differs between objects: what marks its place in the sample, and its JSON for an object. */
interface Slot {
  readonly marker: string;
  readonly json: (object: ListedObject) => string;
}

/**
 * The JSON bodies of a backfill's notifications, the same text as `JSON.stringify` of
 * {@link buildS3Notification}'s record, but made from a template: the body of a sample object
 * whose varying fields hold marker values is serialized once and cut at the markers, and each
 * object's body is the pieces with its own fields between them. A backfill builds one body per
 * object, and building and serializing the whole record each time was about a tenth of its CPU.
 *
 * @returns the body of one object's notification
 */
export function backfillBodies(bucket: string, region: string): (object: ListedObject) => string {
  const plain = template(bucket, region, false);
  const versioned = template(bucket, region, true);
  return (object) => (object.versionId === undefined ? plain(object) : versioned(object));
}

function template(bucket: string, region: string, withVersion: boolean): (object: ListedObject) => string {
  // Marker values no real field can hold, each appearing once in the sample's JSON.
  const sample: ListedObject = {
    key: '\u0001key\u0001',
    eTag: '\u0001eTag\u0001',
    size: 9_007_199_254_740_991,
    lastModified: new Date(Date.UTC(1971, 0, 1, 1, 1, 1, 1)),
    ...(withVersion && { versionId: '\u0001versionId\u0001' }),
  };
  const slots: Slot[] = [
    // The record carries the key URL-encoded, as S3 does.
    {
      marker: JSON.stringify(encodeS3EventKey(sample.key)),
      json: (object) => JSON.stringify(encodeS3EventKey(object.key)),
    },
    { marker: JSON.stringify(sample.eTag), json: (object) => JSON.stringify(object.eTag) },
    { marker: String(sample.size), json: (object) => String(object.size) },
    {
      marker: JSON.stringify(sample.lastModified.toISOString()),
      json: (object) => JSON.stringify(object.lastModified.toISOString()),
    },
    ...(withVersion
      ? [
          {
            marker: JSON.stringify(sample.versionId),
            json: (object: ListedObject) => JSON.stringify(object.versionId),
          },
        ]
      : []),
  ];
  const text = JSON.stringify(backfillNotification(bucket, region, sample));
  const placed = slots.map((slot) => ({ slot, at: text.indexOf(slot.marker) })).sort((a, b) => a.at - b.at);
  for (const { slot, at } of placed) {
    if (at < 0 || text.indexOf(slot.marker, at + 1) >= 0) {
      // The record's shape changed so that a marker is missing or doubled: build each in full.
      return (object) => JSON.stringify(backfillNotification(bucket, region, object));
    }
  }
  const pieces: string[] = [];
  let from = 0;
  for (const { slot, at } of placed) {
    pieces.push(text.slice(from, at));
    from = at + slot.marker.length;
  }
  pieces.push(text.slice(from));
  const fields = placed.map(({ slot }) => slot.json);
  return (object) => {
    let body = pieces[0] as string;
    for (let i = 0; i < fields.length; i += 1) body += (fields[i] as Slot['json'])(object) + pieces[i + 1];
    return body;
  };
}
