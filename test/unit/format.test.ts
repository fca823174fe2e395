import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csvCell,
  parseCsv,
  parseExportedCsv,
  printable,
  renderCsv,
  renderTable,
  terminalSafeJson,
} from '../../src/tools/format.js';
import { requestsFromFile } from '../../src/tools/reprocess.js';
import { parseS3Uri, UPLOAD_COLUMNS } from '../../src/tools/upload-queries.js';

// Keys, reasons and bodies are chosen by whoever uploads: what people read must show them, not obey them.
const HOSTILE = [
  'clear\u001b[2Jscreen',
  'title\u001b]0;owned\u0007',
  'link\u001b]8;;http://evil.example\u001b\\click\u001b]8;;\u001b\\',
  'forged\r\nuploads  STORED  payroll.csv',
  'txt.exe\u202Egnp.',
  'c1\u009b31m',
  'del\u007f',
  'tab\there',
];

describe('printable text', () => {
  it('shows every control, C1, DEL and bidi character as a visible escape', () => {
    expect(printable('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(printable('one\ntwo\rthree\tfour')).toBe('one\\ntwo\\rthree\\tfour');
    expect(printable('txt.exe\u202Egnp.')).toBe('txt.exe\\u202egnp.');
    expect(printable('c1\u009b31m')).toBe('c1\\x9b31m');
    expect(printable('del\u007f')).toBe('del\\x7f');
    expect(printable('isolate\u2066x\u2069')).toBe('isolate\\u2066x\\u2069');
    // Ordinary text, other scripts and emoji stay as they are.
    expect(printable('photos/été 2026/猫 🐈.jpg')).toBe('photos/été 2026/猫 🐈.jpg');
  });

  it('leaves nothing a terminal acts on, whatever the input', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern finds
    const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => !unsafe.test(printable(text))));
  });

  it('renders table cells escaped, so no key forges a row or clears the screen', () => {
    const table = renderTable(
      HOSTILE.map((key) => ({ key })),
      [{ header: 'key', value: (row) => row.key }],
    );
    expect(table.split('\n')).toHaveLength(HOSTILE.length + 2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern finds
    expect(table).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(table).toContain('forged\\r\\nuploads  STORED  payroll.csv');
  });
});

describe('CSV for spreadsheets', () => {
  it('neutralises cells a spreadsheet would evaluate, as OWASP advises', () => {
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe(
      `"'=HYPERLINK(""http://evil.example"",""x"")"`,
    );
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('\t=1')).toBe(`"'\t=1"`);
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell('plain/key.txt')).toBe('plain/key.txt');
  });

  it('reads back exactly what it wrote, hostile cells and leading quotes included', () => {
    const columns = [
      { header: 'a', value: (row: string[]) => row[0] },
      { header: 'b', value: (row: string[]) => row[1] },
    ];
    const rows = [
      ['=1+1', "'quoted"],
      ["''", '-'],
      ['a,"b"\nc', '@x'],
    ];
    expect(parseExportedCsv(renderCsv(rows, columns))).toEqual([['a', 'b'], ...rows]);
    // Other files (an S3 Inventory report) are read exactly as written: a leading quote is data.
    expect(parseCsv('\'abc,"\'=x"')).toEqual([["'abc", "'=x"]]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 5 }), (pairs) => {
        const some = pairs.filter(([x, y]) => x !== '' || y !== '');
        return (
          JSON.stringify(parseExportedCsv(renderCsv(some, columns)).slice(1)) ===
          JSON.stringify(some.map(([x, y]) => [x, y]))
        );
      }),
    );
  });
});

describe('an uploads export read back by reprocess --from-file', () => {
  it('names exactly the objects and versions exported, whatever their keys hold', async () => {
    // Prepare: keys a spreadsheet would evaluate, a newline, a leading quote; versioned rows.
    const rows = [
      { key: "=cmd|' /C calc'!A0", versionId: 'v1' },
      { key: '+SUM(1)', versionId: '-3xY' },
      { key: 'line\nbreak.txt', versionId: undefined },
      { key: "'already quoted", versionId: '@v' },
    ].map(({ key, versionId }) => ({
      pk: `s3://uploads/${key}`,
      sk: 'e',
      bucket: 'uploads',
      key,
      eTag: 'e',
      ...(versionId && { versionId }),
    }));
    const file = join(mkdtempSync(join(tmpdir(), 's3-ingest-csv-')), 'export.csv');
    writeFileSync(file, `${renderCsv(rows, UPLOAD_COLUMNS)}\n`);
    // Act
    const requests = await requestsFromFile(file);
    // Assess
    expect(requests).toEqual(
      rows.map((row) => ({
        bucket: row.bucket,
        key: row.key,
        ...(row.versionId && { versionId: row.versionId }),
      })),
    );
    expect(readFileSync(file, 'utf8')).not.toMatch(/(^|,)[=+\-@]/m);
  });

  it('takes an s3:// URI whose key holds a newline', () => {
    expect(parseS3Uri('s3://uploads/a\nb')).toEqual({ bucket: 'uploads', key: 'a\nb' });
    expect(() => parseS3Uri('s3://uploads/')).toThrow(/expected s3:\/\/BUCKET\/KEY/);
  });
});

describe('terminalSafeJson', () => {
  it('escapes what a terminal would act on, and parses back to the same value', () => {
    const value = { key: 'a\u202egnp.exe\u0085\u200b\u001b[2J\u007f', n: 1 };
    const text = terminalSafeJson(value);
    expect(text).toBe('{"key":"a\\u202egnp.exe\\u0085\\u200b\\u001b[2J\\u007f","n":1}');
    expect(JSON.parse(text)).toEqual(value);
    // Indented: the layout's newlines stay newlines.
    const indented = terminalSafeJson([value], 2);
    expect(indented.split('\n')).toHaveLength(6);
    expect(JSON.parse(indented)).toEqual([value]);
  });
});
