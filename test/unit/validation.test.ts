import { describe, expect, it } from 'vitest';
import { validateObject } from '../../src/core/validation.js';

describe('validateObject', () => {
  it('accepts everything when no rule is set', () => {
    expect(validateObject({}, { key: 'a.exe', size: 10 ** 12 })).toEqual({ accepted: true });
  });

  it('rejects objects over the size limit, and accepts one at the limit', () => {
    expect(validateObject({ maxObjectBytes: 100 }, { key: 'a', size: 101 })).toEqual({
      accepted: false,
      reason: 'size 101 bytes exceeds the limit of 100',
    });
    expect(validateObject({ maxObjectBytes: 100 }, { key: 'a', size: 100 }).accepted).toBe(true);
  });

  it('rejects blocked extensions whatever their case, on the file name only', () => {
    const rules = { blockedExtensions: ['exe', 'tar.gz'] };
    expect(validateObject(rules, { key: 'dl/Setup.EXE' })).toEqual({
      accepted: false,
      reason: 'extension .exe is blocked',
    });
    expect(validateObject(rules, { key: 'x/backup.tar.gz' }).accepted).toBe(false);
    expect(validateObject(rules, { key: 'exe.dir/readme' }).accepted).toBe(true);
    expect(validateObject(rules, { key: 'notexe' }).accepted).toBe(true);
  });

  it('accepts allowed content types, with families and parameters', () => {
    const rules = { allowedContentTypes: ['image/*', 'application/pdf'] };
    expect(validateObject(rules, { key: 'a', contentType: 'image/png' }).accepted).toBe(true);
    expect(validateObject(rules, { key: 'a', contentType: 'Application/PDF; qs=1' }).accepted).toBe(true);
    expect(validateObject(rules, { key: 'a', contentType: 'text/html' })).toEqual({
      accepted: false,
      reason: 'content type text/html is not allowed',
    });
    expect(validateObject(rules, { key: 'a' })).toEqual({
      accepted: false,
      reason: 'content type is missing',
    });
  });
});

describe('validateObject on what the content is', () => {
  const exe = { mime: 'application/x-msdownload', ext: 'exe' };
  const pdf = { mime: 'application/pdf', ext: 'pdf' };

  it('blocks a blocked type whatever its name and declared type', () => {
    expect(
      validateObject(
        { blockedExtensions: ['exe'] },
        { key: 'invoices/invoice.pdf', contentType: 'application/pdf', detectedType: exe },
      ),
    ).toEqual({
      accepted: false,
      reason: 'content is application/x-msdownload (.exe is blocked), declared application/pdf',
    });
  });

  it('allows by the detected type where there is one, by the declared one otherwise', () => {
    const rules = { allowedContentTypes: ['application/pdf', 'text/*'] };
    expect(
      validateObject(rules, { key: 'a.pdf', contentType: 'application/pdf', detectedType: exe }),
    ).toEqual({
      accepted: false,
      reason: 'content is application/x-msdownload, not an allowed type (declared application/pdf)',
    });
    expect(
      validateObject(rules, { key: 'a.bin', contentType: 'application/octet-stream', detectedType: pdf }),
    ).toEqual({
      accepted: true,
    });
    // Plain text has no signature: the declared type decides.
    expect(validateObject(rules, { key: 'notes.txt', contentType: 'text/plain' })).toEqual({
      accepted: true,
    });
  });

  it('rejects a declared type the content contradicts only when asked, and never an unspecific one', () => {
    const subject = {
      key: 'photo.jpg',
      contentType: 'image/jpeg',
      detectedType: { mime: 'image/png', ext: 'png' },
    };
    expect(validateObject({}, subject)).toEqual({ accepted: true });
    expect(validateObject({ rejectMismatchedTypes: true }, subject)).toEqual({
      accepted: false,
      reason: 'declared image/jpeg, but the content is image/png',
    });
    expect(
      validateObject(
        { rejectMismatchedTypes: true },
        { ...subject, contentType: 'application/octet-stream' },
      ),
    ).toEqual({ accepted: true });
    expect(
      validateObject({ rejectMismatchedTypes: true }, { ...subject, contentType: 'image/png; charset=x' }),
    ).toEqual({
      accepted: true,
    });
  });
});
