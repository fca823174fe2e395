import { describe, expect, it } from 'vitest';
import { judgeObject } from '../../src/core/decide.js';
import type { CreatedObjectEvent } from '../../src/core/types.js';

const event: CreatedObjectEvent = {
  kind: 'created',
  bucket: 'uploads',
  key: 'a/b.png',
  eTag: 'e1',
  size: 10,
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-11-24T10:00:00Z',
  sequencer: '01',
};

describe('judgeObject', () => {
  it('calls an object that no longer exists GONE', () => {
    expect(judgeObject(event, undefined, {})).toEqual({ status: 'GONE', reason: 'object no longer exists' });
  });

  it('calls content overwritten before processing GONE, unless a version was read', () => {
    expect(judgeObject(event, { eTag: 'e2' }, {}).status).toBe('GONE');
    expect(judgeObject({ ...event, versionId: 'v1' }, { eTag: 'e2' }, {}).status).toBe('ACCEPTED');
  });

  it('rejects by the rules, using the content type from HeadObject', () => {
    expect(
      judgeObject(event, { eTag: 'e1', contentType: 'text/html' }, { allowedContentTypes: ['image/*'] }),
    ).toEqual({
      status: 'REJECTED',
      reason: 'content type text/html is not allowed',
    });
    expect(
      judgeObject(event, { eTag: 'e1', contentType: 'image/png' }, { allowedContentTypes: ['image/*'] }),
    ).toEqual({
      status: 'ACCEPTED',
    });
  });
});
