import { MalformedMessageError } from '../errors.js';
import { EVENTBRIDGE_CREATED_REASONS, EVENTBRIDGE_DETAIL_TYPES } from './s3-eventbridge-event.js';
import { decodeS3EventKey } from './s3-key.js';
import { isScanResultEvent, parseScanCheck, parseScanResultEvent, SCAN_CHECK_KEY } from './scan-result.js';
import { isValidSequencer } from './sequencer.js';
import type { ObjectEvent, ObjectEventKind, ParsedMessage } from './types.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * Recognises the body of one SQS message: a raw S3 notification, the same wrapped by SNS,
 * an S3 event delivered by EventBridge, GuardDuty's malware scan result, or the `s3:TestEvent`
 * S3 sends when notifications are configured.
 *
 * @param body - the SQS message body
 * @returns the test event, or every object event the message holds (keys URL-decoded)
 * @throws {MalformedMessageError} with the reason, for anything else
 */
export function parseMessageBody(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError('message body is not JSON', { cause: error });
  }
  return parseEnvelope(json, false);
}

function parseEnvelope(json: unknown, insideSns: boolean): ParsedMessage {
  if (!isObject(json)) throw new MalformedMessageError('message body is not a JSON object');
  if (json.Event === 's3:TestEvent') return { type: 'test-event' };
  if (json.Type === 'Notification' && !insideSns) {
    if (typeof json.Message !== 'string') {
      throw new MalformedMessageError('SNS notification has no Message string');
    }
    let inner: unknown;
    try {
      inner = JSON.parse(json.Message);
    } catch (error) {
      throw new MalformedMessageError('SNS Message is not JSON', { cause: error });
    }
    return parseEnvelope(inner, true);
  }
  if (isScanResultEvent(json)) return { type: 'scan-result', scan: parseScanResultEvent(json) };
  if (SCAN_CHECK_KEY in json) return { type: 'scan-check', check: parseScanCheck(json[SCAN_CHECK_KEY]) };
  if (json.source === 'aws.s3' && typeof json['detail-type'] === 'string') {
    return { type: 'object-events', events: [parseEventBridgeEvent(json)] };
  }
  if (Array.isArray(json.Records)) {
    if (json.Records.length === 0) throw new MalformedMessageError('S3 notification has no records');
    return {
      type: 'object-events',
      events: json.Records.map((record, index) => parseNotificationRecord(record, index)),
    };
  }
  throw new MalformedMessageError(
    'message is not an S3 notification, SNS notification, EventBridge S3 event or GuardDuty scan result',
  );
}

/** `ObjectCreated:*` and `ObjectRemoved:*`, with lifecycle expirations counted as removals. */
function kindOfEventName(eventName: string): ObjectEventKind | undefined {
  if (eventName.startsWith('ObjectCreated:')) return 'created';
  if (eventName.startsWith('ObjectRemoved:') || eventName.startsWith('LifecycleExpiration:'))
    return 'removed';
  return undefined;
}

function parseNotificationRecord(record: unknown, index: number): ObjectEvent {
  const where = `record ${index}`;
  if (!isObject(record) || !isObject(record.s3))
    throw new MalformedMessageError(`${where} has no s3 section`);
  const rawName = typeof record.eventName === 'string' ? record.eventName : '';
  // MinIO and some emulators prefix event names with "s3:"; AWS does not.
  const eventName = rawName.replace(/^s3:/, '');
  const kind = kindOfEventName(eventName);
  if (!kind) throw new MalformedMessageError(`${where} has unsupported eventName ${JSON.stringify(rawName)}`);
  const bucket = isObject(record.s3.bucket) ? record.s3.bucket.name : undefined;
  const object = isObject(record.s3.object) ? record.s3.object : undefined;
  if (typeof bucket !== 'string' || bucket === '')
    throw new MalformedMessageError(`${where} has no bucket name`);
  if (!object || typeof object.key !== 'string' || object.key === '') {
    throw new MalformedMessageError(`${where} has no object key`);
  }
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const request = isObject(record.requestParameters) ? record.requestParameters : {};
  return checkedEvent(where, {
    kind,
    bucket,
    key: decodeS3EventKey(object.key),
    eTag: object.eTag,
    versionId: object.versionId,
    size: object.size,
    eventName,
    eventTime: record.eventTime,
    sequencer: object.sequencer,
    uploader: identity.principalId,
    sourceIp: request.sourceIPAddress,
  });
}

const EVENTBRIDGE_KINDS: Readonly<Record<string, ObjectEventKind>> = Object.fromEntries(
  Object.entries(EVENTBRIDGE_DETAIL_TYPES).map(([kind, detailType]) => [detailType, kind as ObjectEventKind]),
);

/** EventBridge names the API call in `reason`; notifications name the event type. */
const EVENTBRIDGE_CREATED_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(EVENTBRIDGE_CREATED_REASONS).map(([eventName, reason]) => [reason, eventName]),
);

function parseEventBridgeEvent(json: Json): ObjectEvent {
  const where = 'EventBridge event';
  const detailType = String(json['detail-type']);
  const kind = EVENTBRIDGE_KINDS[detailType];
  if (!kind)
    throw new MalformedMessageError(`${where} has unsupported detail-type ${JSON.stringify(detailType)}`);
  const detail = isObject(json.detail) ? json.detail : undefined;
  const bucket = detail && isObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = detail && isObject(detail.object) ? detail.object : undefined;
  if (!detail || typeof bucket !== 'string' || bucket === '') {
    throw new MalformedMessageError(`${where} has no bucket name`);
  }
  if (!object || typeof object.key !== 'string' || object.key === '') {
    throw new MalformedMessageError(`${where} has no object key`);
  }
  const reason = typeof detail.reason === 'string' ? detail.reason : '';
  const eventName =
    kind === 'created'
      ? (EVENTBRIDGE_CREATED_NAMES[reason] ?? 'ObjectCreated:Put')
      : detail['deletion-type'] === 'Delete Marker Created'
        ? 'ObjectRemoved:DeleteMarkerCreated'
        : 'ObjectRemoved:Delete';
  return checkedEvent(where, {
    kind,
    bucket,
    // EventBridge carries the key as it is, not URL-encoded like notifications.
    key: object.key,
    eTag: object.etag,
    versionId: object['version-id'],
    size: object.size,
    eventName,
    eventTime: json.time,
    sequencer: object.sequencer,
    uploader: detail.requester,
    sourceIp: detail['source-ip-address'],
  });
}

interface UncheckedEvent {
  kind: ObjectEventKind;
  bucket: string;
  key: string;
  eTag: unknown;
  versionId: unknown;
  size: unknown;
  eventName: string;
  eventTime: unknown;
  sequencer: unknown;
  uploader: unknown;
  sourceIp: unknown;
}

function checkedEvent(where: string, raw: UncheckedEvent): ObjectEvent {
  if (typeof raw.eventTime !== 'string' || Number.isNaN(Date.parse(raw.eventTime))) {
    throw new MalformedMessageError(`${where} has no valid eventTime`);
  }
  if (!isValidSequencer(raw.sequencer)) {
    throw new MalformedMessageError(`${where} has no valid sequencer (needed to order events per key)`);
  }
  // Some producers keep the HTTP quotes around the ETag.
  const eTag = optionalString(raw.eTag)?.replace(/^"|"$/g, '');
  if (raw.kind === 'created' && !eTag)
    throw new MalformedMessageError(`${where} is ObjectCreated without an eTag`);
  if (
    raw.size !== undefined &&
    (typeof raw.size !== 'number' || !Number.isSafeInteger(raw.size) || raw.size < 0)
  ) {
    throw new MalformedMessageError(`${where} has an invalid size`);
  }
  // A bucket with versioning suspended writes the version "null": that is no version at all, and
  // treating it as one would address a version that HeadObject and CopyObject cannot name.
  const rawVersionId = optionalString(raw.versionId);
  const versionId = rawVersionId === 'null' ? undefined : rawVersionId;
  const uploader = optionalString(raw.uploader);
  const sourceIp = optionalString(raw.sourceIp);
  return {
    kind: raw.kind,
    bucket: raw.bucket,
    key: raw.key,
    eventName: raw.eventName,
    eventTime: raw.eventTime,
    sequencer: raw.sequencer,
    ...(eTag !== undefined && { eTag }),
    ...(versionId !== undefined && { versionId }),
    ...(typeof raw.size === 'number' && { size: raw.size }),
    ...(uploader !== undefined && { uploader }),
    ...(sourceIp !== undefined && { sourceIp }),
  };
}
