import { MalformedMessageError } from '../errors.js';

// GuardDuty Malware Protection for S3: the scan result event it puts on the default bus, and what
// a scan result means for an upload (the malware-scan gate, docs/worker.md "Malware scans").

/** The `source` and `detail-type` of GuardDuty's scan result events. */
export const GUARDDUTY_SOURCE = 'aws.guardduty';
export const SCAN_RESULT_DETAIL_TYPE = 'GuardDuty Malware Protection Object Scan Result';

/** A scan's status: it ran, or GuardDuty skipped it, or it failed. */
export type ScanStatus = 'COMPLETED' | 'SKIPPED' | 'FAILED';

/** What a scan found (`UNSUPPORTED`, `ACCESS_DENIED`, `FAILED` come with a scan that did not complete). */
export type ScanResultStatus =
  | 'NO_THREATS_FOUND'
  | 'THREATS_FOUND'
  | 'UNSUPPORTED'
  | 'ACCESS_DENIED'
  | 'FAILED';

/** One version of an object: what a scan is of. */
export interface ScannedVersion {
  readonly bucket: string;
  /** As it is (EventBridge does not URL-encode keys). */
  readonly key: string;
  /** Without quotes. */
  readonly eTag: string;
  readonly versionId?: string;
}

/** One scan of one object version, as the worker reads it from GuardDuty's event. */
export interface ScanResult extends ScannedVersion {
  readonly status: ScanStatus;
  readonly result: ScanResultStatus;
  readonly threats: readonly string[];
  /** When GuardDuty sent the result (the event's `time`). */
  readonly scannedAt: string;
}

/** A row's scan in the upload log: `PENDING` until the result comes (the gate on). */
export type RowScanStatus = 'PENDING' | ScanStatus;

/** What to do with an object whose scan did not complete (`SKIPPED`, `FAILED`). */
export type ScanFailureAction = 'hold' | 'accept';

/** At most this many threat names are kept on a row and in its reason. */
const MAX_THREATS = 10;

const SCAN_STATUSES: readonly ScanStatus[] = ['COMPLETED', 'SKIPPED', 'FAILED'];
const RESULT_STATUSES: readonly ScanResultStatus[] = [
  'NO_THREATS_FOUND',
  'THREATS_FOUND',
  'UNSUPPORTED',
  'ACCESS_DENIED',
  'FAILED',
];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a parsed message body is a GuardDuty scan result event. */
export function isScanResultEvent(json: Json): boolean {
  return json.source === GUARDDUTY_SOURCE && json['detail-type'] === SCAN_RESULT_DETAIL_TYPE;
}

/**
 * Reads GuardDuty's scan result event.
 *
 * @throws {MalformedMessageError} naming what is missing or not one of GuardDuty's values
 */
export function parseScanResultEvent(json: Json): ScanResult {
  const where = 'GuardDuty scan result';
  const detail = isObject(json.detail) ? json.detail : undefined;
  const object = detail && isObject(detail.s3ObjectDetails) ? detail.s3ObjectDetails : undefined;
  const results = detail && isObject(detail.scanResultDetails) ? detail.scanResultDetails : undefined;
  if (!object) throw new MalformedMessageError(`${where} has no s3ObjectDetails`);
  const bucket = object.bucketName;
  const key = object.objectKey;
  // GuardDuty's documentation writes `eTag`; some of its examples `etag`.
  const eTag = typeof object.eTag === 'string' ? object.eTag : object.etag;
  if (typeof bucket !== 'string' || bucket === '')
    throw new MalformedMessageError(`${where} has no bucketName`);
  if (typeof key !== 'string' || key === '') throw new MalformedMessageError(`${where} has no objectKey`);
  if (typeof eTag !== 'string' || eTag === '') throw new MalformedMessageError(`${where} has no eTag`);
  const status = detail?.scanStatus;
  if (!SCAN_STATUSES.includes(status as ScanStatus))
    throw new MalformedMessageError(`${where} has unknown scanStatus ${JSON.stringify(status)}`);
  const result = results?.scanResultStatus;
  if (!RESULT_STATUSES.includes(result as ScanResultStatus))
    throw new MalformedMessageError(`${where} has unknown scanResultStatus ${JSON.stringify(result)}`);
  const time = typeof json.time === 'string' && !Number.isNaN(Date.parse(json.time)) ? json.time : undefined;
  if (!time) throw new MalformedMessageError(`${where} has no time`);
  const threats = Array.isArray(results?.threats)
    ? results.threats
        .map((threat) => (isObject(threat) && typeof threat.name === 'string' ? threat.name : undefined))
        .filter((name): name is string => name !== undefined && name !== '')
        .slice(0, MAX_THREATS)
    : [];
  const versionId =
    typeof object.versionId === 'string' && object.versionId !== '' ? object.versionId : undefined;
  return {
    bucket,
    key,
    eTag: eTag.replace(/"/g, ''),
    ...(versionId !== undefined && { versionId }),
    status: status as ScanStatus,
    result: result as ScanResultStatus,
    threats,
    scannedAt: new Date(time).toISOString(),
  };
}

/** What a scan result means for the object's upload. */
export type ScanVerdict =
  /** Clean: the gate lets it through (it may be copied). */
  | 'clean'
  /** Malware: rejected, never copied. */
  | 'infected'
  /** Not scanned, and the policy holds it: never copied, the row says why. */
  | 'held';

/**
 * The scan's verdict: `THREATS_FOUND` is malware whatever the status says; a completed scan that
 * found nothing is clean; a scan that did not complete (skipped, failed, unsupported, access denied)
 * follows `scanFailureAction`.
 */
export function scanVerdict(
  scan: Pick<ScanResult, 'status' | 'result'>,
  failureAction: ScanFailureAction,
): ScanVerdict {
  if (scan.result === 'THREATS_FOUND') return 'infected';
  if (scan.status === 'COMPLETED' && scan.result === 'NO_THREATS_FOUND') return 'clean';
  return failureAction === 'accept' ? 'clean' : 'held';
}

/** The object tag GuardDuty writes on each scanned version when its plan has tagging on. */
export const GUARDDUTY_SCAN_TAG = 'GuardDutyMalwareScanStatus';

/**
 * What the scanned version's own tags say of a scan result that would let it through:
 * `confirmed` when GuardDuty's tag holds the result; `pending` when it has no such tag yet;
 * `contradicted` when the tag holds another result (the event did not come from this scan);
 * `gone` when the version no longer exists (nothing of it can be copied).
 */
export type ScanTagCheck = 'confirmed' | 'pending' | 'contradicted' | 'gone';

export function checkScanTag(
  tags: Readonly<Record<string, string>> | 'gone',
  scan: Pick<ScanResult, 'result'>,
): ScanTagCheck {
  if (tags === 'gone') return 'gone';
  const tag = tags[GUARDDUTY_SCAN_TAG];
  if (tag === undefined) return 'pending';
  return tag === scan.result ? 'confirmed' : 'contradicted';
}

/** The rejection reason of an infected object: `malware: <names>`. */
export function malwareReason(threats: readonly string[]): string {
  return `malware: ${threats.length > 0 ? threats.join(', ') : 'a threat GuardDuty did not name'}`;
}

/** The scan fields of an upload row. */
export interface RowScan {
  readonly sk: string;
  readonly status?: string;
  readonly scanStatus?: string;
  readonly scanResult?: string;
}

/**
 * Whether content may be copied under the gate, from the upload rows of that content (one per
 * version with the eTag): `clean` when one accepted row's scan let it through, `infected` when any
 * scan found malware (the same bytes are malware in every version), else `pending` (no result yet,
 * or held).
 */
export function copyClearance(
  rows: readonly RowScan[],
  failureAction: ScanFailureAction,
): 'clean' | 'infected' | 'pending' {
  if (rows.some((row) => row.scanResult === 'THREATS_FOUND')) return 'infected';
  const cleared = rows.some(
    (row) =>
      row.status === 'STORED' &&
      row.scanStatus !== undefined &&
      row.scanStatus !== 'PENDING' &&
      scanVerdict(
        { status: row.scanStatus as ScanStatus, result: (row.scanResult ?? 'FAILED') as ScanResultStatus },
        failureAction,
      ) === 'clean',
  );
  return cleared ? 'clean' : 'pending';
}

/**
 * GuardDuty's scan result event for one scanned object version, as it reaches the ingest queue
 * through the stack's EventBridge rule (the local stack's scanner sends exactly this).
 */
export function buildScanResultEvent(
  options: ScannedVersion & {
    readonly status: ScanStatus;
    readonly result: ScanResultStatus;
    readonly threats?: readonly string[];
    readonly time: string;
    readonly account: string;
    readonly region: string;
    readonly planId?: string;
    readonly id: string;
  },
): Record<string, unknown> {
  return {
    version: '0',
    id: options.id,
    'detail-type': SCAN_RESULT_DETAIL_TYPE,
    source: GUARDDUTY_SOURCE,
    account: options.account,
    time: options.time,
    region: options.region,
    resources: [
      `arn:aws:guardduty:${options.region}:${options.account}:malware-protection-plan/${options.planId ?? 'local'}`,
    ],
    detail: {
      schemaVersion: '1.0',
      scanStatus: options.status,
      resourceType: 'S3_OBJECT',
      s3ObjectDetails: {
        bucketName: options.bucket,
        objectKey: options.key,
        eTag: options.eTag,
        versionId: options.versionId ?? null,
        s3Throttled: false,
      },
      scanResultDetails: {
        scanResultStatus: options.result,
        threats:
          options.threats && options.threats.length > 0 ? options.threats.map((name) => ({ name })) : null,
      },
    },
  };
}

/** The key of the worker's own delayed message that checks a pending scan came. */
export const SCAN_CHECK_KEY = 's3IngestScanCheck';

/** Which upload row a scan check looks at, and when its scan began to wait. */
export interface ScanCheck extends ScannedVersion {
  /** When the row was recorded `PENDING` (ISO-8601). */
  readonly pendingSince: string;
}

/** The message body of a scan check. */
export function scanCheckBody(check: ScanCheck): string {
  return JSON.stringify({ [SCAN_CHECK_KEY]: check });
}

/**
 * Reads a scan check the worker sent itself. Whoever can send to the queue can send one; it only
 * ever reads a row, counts and logs.
 *
 * @throws {MalformedMessageError} when a field is missing
 */
export function parseScanCheck(value: unknown): ScanCheck {
  const fields = isObject(value) ? value : {};
  const text = (name: string) =>
    typeof fields[name] === 'string' && fields[name] !== '' ? String(fields[name]) : undefined;
  const bucket = text('bucket');
  const key = text('key');
  const eTag = text('eTag');
  const pendingSince = text('pendingSince');
  if (!bucket || !key || !eTag || !pendingSince || Number.isNaN(Date.parse(pendingSince)))
    throw new MalformedMessageError('scan check needs bucket, key, eTag and pendingSince');
  const versionId = text('versionId');
  return { bucket, key, eTag, ...(versionId !== undefined && { versionId }), pendingSince };
}
