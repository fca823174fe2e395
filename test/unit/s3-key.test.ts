import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeS3EventKey, encodeS3EventKey } from '../../src/core/s3-key.js';
import { MalformedMessageError } from '../../src/errors.js';

describe('decodeS3EventKey', () => {
  it('turns + into a space and %xx into the character', () => {
    expect(decodeS3EventKey('my+folder/holiday+photo.jpg')).toBe('my folder/holiday photo.jpg');
    expect(decodeS3EventKey('c%2B%2B/notes%2Bdraft.txt')).toBe('c++/notes+draft.txt');
    expect(decodeS3EventKey('discount+100%25/price%3D5%25.csv')).toBe('discount 100%/price=5%.csv');
    expect(decodeS3EventKey('caf%C3%A9/%E6%97%A5.png')).toBe('café/日.png');
  });

  it('rejects an invalid percent sequence as a malformed message', () => {
    expect(() => decodeS3EventKey('broken%ZZ')).toThrow(MalformedMessageError);
  });

  it('inverts encodeS3EventKey for every key, unicode included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }), (key) => {
        // Lone surrogates cannot be uploaded as UTF-8 keys, so they are not keys S3 can send.
        fc.pre(key.isWellFormed());
        expect(decodeS3EventKey(encodeS3EventKey(key))).toBe(key);
      }),
    );
  });

  it('encodes like S3: spaces as +, slashes kept, + and % escaped', () => {
    expect(encodeS3EventKey('a dir/b+c%d.txt')).toBe('a+dir/b%2Bc%25d.txt');
    expect(encodeS3EventKey("it's(1)!~.txt")).toBe('it%27s%281%29%21%7E.txt');
    expect(encodeS3EventKey('plain/Key-1_2.3*.txt')).toBe('plain/Key-1_2.3*.txt');
  });

  it('leaves only the characters S3 leaves as they are, whatever the key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (key) => {
        expect(encodeS3EventKey(key)).toMatch(/^[A-Za-z0-9\-_.*/+%]+$/);
      }),
    );
  });
});
