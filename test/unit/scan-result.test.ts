import { describe, expect, it } from 'vitest';
import { parseMessageBody } from '../../src/core/envelope.js';
import {
  buildScanResultEvent,
  checkScanTag,
  copyClearance,
  malwareReason,
  scanVerdict,
} from '../../src/core/scan-result.js';
import { uploadEventOf } from '../../src/core/upload-events.js';

const event = (overrides: Record<string, unknown> = {}) => ({
  ...buildScanResultEvent({
    bucket: 'uploads',
    key: 'dir/a b.pdf',
    eTag: 'abc',
    versionId: 'v1',
    status: 'COMPLETED',
    result: 'THREATS_FOUND',
    threats: ['EICAR-Test-File (not a virus)'],
    time: '2026-12-07T10:00:00Z',
    account: '111122223333',
    region: 'us-east-1',
    id: 'e1',
  }),
  ...overrides,
});

describe('GuardDuty scan result events', () => {
  it('reads the scanned version, the result and the threats', () => {
    expect(parseMessageBody(JSON.stringify(event()))).toEqual({
      type: 'scan-result',
      scan: {
        bucket: 'uploads',
        key: 'dir/a b.pdf',
        eTag: 'abc',
        versionId: 'v1',
        status: 'COMPLETED',
        result: 'THREATS_FOUND',
        threats: ['EICAR-Test-File (not a virus)'],
        scannedAt: '2026-12-07T10:00:00.000Z',
      },
    });
  });

  it('reads an unversioned object (versionId null) and `etag` spelt as some examples spell it', () => {
    const base = event();
    const detail = base.detail as { s3ObjectDetails: Record<string, unknown> };
    const { eTag, ...rest } = detail.s3ObjectDetails;
    const body = {
      ...base,
      detail: { ...detail, s3ObjectDetails: { ...rest, etag: `"${String(eTag)}"`, versionId: null } },
    };
    const parsed = parseMessageBody(JSON.stringify(body));
    expect(parsed).toMatchObject({ type: 'scan-result', scan: { eTag: 'abc' } });
    expect(parsed.type === 'scan-result' && parsed.scan).not.toHaveProperty('versionId');
  });

  it('refuses a result without an object, or with a status GuardDuty does not send', () => {
    expect(() => parseMessageBody(JSON.stringify(event({ detail: {} })))).toThrow('has no s3ObjectDetails');
    const detail = event().detail as Record<string, unknown>;
    expect(() =>
      parseMessageBody(JSON.stringify(event({ detail: { ...detail, scanStatus: 'MAYBE' } }))),
    ).toThrow('unknown scanStatus "MAYBE"');
    expect(() => parseMessageBody(JSON.stringify(event({ time: 'yesterday' })))).toThrow('has no time');
  });
});

describe('the gate', () => {
  it('judges a result: malware, clean, or held/accepted by the failure action', () => {
    expect(scanVerdict({ status: 'COMPLETED', result: 'THREATS_FOUND' }, 'accept')).toBe('infected');
    expect(scanVerdict({ status: 'COMPLETED', result: 'NO_THREATS_FOUND' }, 'hold')).toBe('clean');
    expect(scanVerdict({ status: 'SKIPPED', result: 'UNSUPPORTED' }, 'hold')).toBe('held');
    expect(scanVerdict({ status: 'FAILED', result: 'FAILED' }, 'accept')).toBe('clean');
    expect(malwareReason([])).toBe('malware: a threat GuardDuty did not name');
  });

  it('clears content for a copy only when an accepted row of it was scanned clean, and never when any scan found malware', () => {
    expect(copyClearance([{ sk: 'e', status: 'STORED', scanStatus: 'PENDING' }], 'hold')).toBe('pending');
    expect(
      copyClearance(
        [{ sk: 'e', status: 'STORED', scanStatus: 'COMPLETED', scanResult: 'NO_THREATS_FOUND' }],
        'hold',
      ),
    ).toBe('clean');
    expect(
      copyClearance(
        [
          { sk: 'e#v1', status: 'STORED', scanStatus: 'COMPLETED', scanResult: 'NO_THREATS_FOUND' },
          { sk: 'e#v2', status: 'REJECTED', scanStatus: 'COMPLETED', scanResult: 'THREATS_FOUND' },
        ],
        'accept',
      ),
    ).toBe('infected');
    expect(
      copyClearance(
        [{ sk: 'e', status: 'STORED', scanStatus: 'SKIPPED', scanResult: 'UNSUPPORTED' }],
        'hold',
      ),
    ).toBe('pending');
    expect(
      copyClearance(
        [{ sk: 'e', status: 'STORED', scanStatus: 'SKIPPED', scanResult: 'UNSUPPORTED' }],
        'accept',
      ),
    ).toBe('clean');
    expect(copyClearance([], 'accept')).toBe('pending');
  });

  it('announces a malware rejection as a correction of the upload, once per scan', () => {
    const before = {
      pk: 's3://uploads/a',
      sk: 'abc',
      bucket: 'uploads',
      key: 'a',
      status: 'STORED',
      scanStatus: 'PENDING',
      eventTime: '2026-12-07T09:59:59.000Z',
      processedAt: '2026-12-07T10:00:00.000Z',
    };
    const after = {
      ...before,
      status: 'REJECTED',
      reason: 'malware: EICAR',
      scanStatus: 'COMPLETED',
      scanResult: 'THREATS_FOUND',
      scannedAt: '2026-12-07T10:00:05.000Z',
    };
    expect(uploadEventOf({ eventName: 'MODIFY', oldImage: before, newImage: after })).toMatchObject({
      type: 'upload.corrected',
      status: 'REJECTED',
      previousStatus: 'STORED',
      reason: 'malware: EICAR',
      time: '2026-12-07T10:00:05.000Z',
    });
    // A clean result changes no status: nothing to announce.
    const clean = {
      ...before,
      scanStatus: 'COMPLETED',
      scanResult: 'NO_THREATS_FOUND',
      scannedAt: after.scannedAt,
    };
    expect(uploadEventOf({ eventName: 'MODIFY', oldImage: before, newImage: clean })).toBeUndefined();
  });
});

describe('the scan in the tools', () => {
  it('shows a row\u2019s scan in the uploads table and CSV (status, then result)', async () => {
    const { UPLOAD_COLUMNS } = await import('../../src/tools/upload-queries.js');
    const scan = UPLOAD_COLUMNS.find((column) => column.header === 'scan');
    const row = { pk: 's3://b/k', sk: 'e', scanStatus: 'COMPLETED', scanResult: 'THREATS_FOUND' };
    expect(scan?.value(row)).toBe('COMPLETED THREATS_FOUND');
    expect(scan?.value({ pk: 's3://b/k', sk: 'e', scanStatus: 'PENDING' })).toBe('PENDING');
    expect(scan?.value({ pk: 's3://b/k', sk: 'e' })).toBe('');
  });
});

describe('scan checks', () => {
  it('sends each check to the queue with the deadline as its delay, and reads it back', async () => {
    const { SendMessageCommand, SQSClient } = await import('@aws-sdk/client-sqs');
    const { mockClient } = await import('aws-sdk-client-mock');
    const { SqsScanChecks } = await import('../../src/adapters/scan-checks.js');
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({});
    const check = {
      bucket: 'uploads',
      key: 'a b',
      eTag: 'e',
      versionId: 'v',
      pendingSince: '2026-12-07T10:00:00.000Z',
    };
    await new SqsScanChecks(new SQSClient({ region: 'us-east-1' }), 'https://queue', 900).schedule(check);
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ QueueUrl: 'https://queue', DelaySeconds: 900 });
    expect(parseMessageBody(String(input?.MessageBody))).toEqual({ type: 'scan-check', check });
    sqs.restore();
    expect(() => parseMessageBody('{"s3IngestScanCheck":{"bucket":"b"}}')).toThrow(
      'scan check needs bucket, key, eTag and pendingSince',
    );
  });
});

describe('checkScanTag', () => {
  const clean = { result: 'NO_THREATS_FOUND' as const };
  it('confirms a result only when GuardDuty\u2019s tag on the version holds the same one', () => {
    expect(checkScanTag({ GuardDutyMalwareScanStatus: 'NO_THREATS_FOUND', team: 'a' }, clean)).toBe(
      'confirmed',
    );
    expect(checkScanTag({ team: 'a' }, clean)).toBe('pending');
    expect(checkScanTag({}, clean)).toBe('pending');
    expect(checkScanTag({ GuardDutyMalwareScanStatus: 'THREATS_FOUND' }, clean)).toBe('contradicted');
    // The tag's key is GuardDuty's exactly: a look-alike key is no tag.
    expect(checkScanTag({ guarddutymalwarescanstatus: 'NO_THREATS_FOUND' }, clean)).toBe('pending');
    expect(checkScanTag('gone', clean)).toBe('gone');
    expect(checkScanTag({ GuardDutyMalwareScanStatus: 'FAILED' }, { result: 'FAILED' })).toBe('confirmed');
  });
});
