/** A column of tabular output: its header and how to read it from a row. */
export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | undefined;
}

const cell = (value: string | number | undefined) => (value === undefined ? '' : String(value));

/**
 * What a terminal acts on or reorders instead of showing: C0 controls (ESC, CR, LF, TAB, BS...),
 * DEL, C1 controls (U+0080-U+009F: CSI and OSC on some terminals), the bidirectional controls and
 * marks (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069), zero-width characters, line and
 * paragraph separators and the byte-order mark.
 */
const UNSAFE_FOR_TERMINAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern finds
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text an uploader chose (a key, a reason, a message body) made safe to print for people: every
 * character a terminal would act on is shown as a visible escape (`\n`, `\x1b`, `\u202e`), so
 * nothing clears the screen, sets the title, links, forges a line or reverses text. Printable
 * text, other scripts and emoji are kept. JSON and CSV output are exact and never pass here.
 *
 * @example printable('a\u001b[2Jb') // 'a\\x1b[2Jb'
 */
export function printable(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (char) => {
    const named = NAMED_ESCAPES[char];
    if (named) return named;
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * What `JSON.stringify` leaves raw inside strings and a terminal would act on: C1 controls, DEL,
 * bidi marks and overrides, zero-width characters, line and paragraph separators, the byte-order
 * mark. (It escapes C0 controls itself; raw newlines in its output are only its indentation.)
 */
const RAW_IN_JSON_UNSAFE_FOR_TERMINAL = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * JSON text that a terminal shows as it is: every character a terminal would act on is a
 * `\uXXXX` escape, so the document parses to the same value.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    RAW_IN_JSON_UNSAFE_FOR_TERMINAL,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Rows as an aligned text table, for people: every cell is {@link printable}. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => printable(cell(column.value(row)))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

/**
 * A cell a spreadsheet would evaluate as a formula begins with one of these (OWASP "CSV
 * Injection"); a leading `'` is added to them, and to cells that begin with `'` themselves so
 * that {@link parseCsv} can take exactly one off again.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

/** One CSV cell: formula starts neutralised with a leading `'`, quoted where RFC 4180 needs it. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * Rows as RFC 4180 CSV, for spreadsheets: a cell that begins with `=`, `+`, `-`, `@`, tab, CR
 * or `'` gets a leading `'` and quotes, so a spreadsheet shows it as text instead of running it.
 * {@link parseCsv} reads the file back exactly.
 */
export function renderCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return [columns.map((c) => csvCell(c.header)).join(','), ...csvRows(rows, columns)].join('\n');
}

/** The data lines of {@link renderCsv}, without the header: for CSV written page after page. */
export function csvRows<T>(rows: readonly T[], columns: readonly Column<T>[]): string[] {
  return rows.map((row) => columns.map((c) => csvCell(cell(c.value(row)))).join(','));
}

/** A duration in seconds as `1h02m`, `3m05s` or `42s`. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Parses RFC 4180 CSV (quoted cells, doubled quotes, line breaks inside quotes) into rows of
 * cells, exactly as written (S3 Inventory reports, for one). For a file {@link renderCsv} wrote,
 * use {@link parseExportedCsv}.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        value += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else value += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(value);
      value = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      row.push(value);
      rows.push(row);
      row = [];
      value = '';
    } else value += char;
  }
  if (value !== '' || row.length > 0) rows.push([...row, value]);
  return rows.filter((cells) => cells.some((cell) => cell !== ''));
}

/**
 * Parses CSV that {@link renderCsv} wrote (an `uploads` export, the console's CSV): its inverse,
 * taking off the `'` it put before a cell, so every value reads back exactly.
 */
export function parseExportedCsv(text: string): string[][] {
  return parseCsv(text).map((cells) => cells.map((cell) => (cell.startsWith("'") ? cell.slice(1) : cell)));
}
