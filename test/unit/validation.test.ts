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
