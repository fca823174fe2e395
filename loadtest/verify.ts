import { POISON_MARKER } from './workload.js';

/** One uploaded version of an object, as the load test saw it. */
export interface UploadedVersion {
  readonly eTag: string;
  readonly size: number;
}

/** What one object must look like in the log. */
export interface ExpectedObject {
  readonly key: string;
  /** In upload order; the last one is the object's current content. */
  readonly versions: readonly UploadedVersion[];
  /** Uploaded as the EICAR test file: its row must end REJECTED by the malware scan. */
  readonly infected?: boolean;
}

/** The rows of one object, as read from the log. */
export interface ObjectRows {
  readonly uploads: readonly Record<string, unknown>[];
  readonly state?: Record<string, unknown> | undefined;
}

/** The verdict of the row-by-row check. */
export interface Verification {
  /** Upload rows that match an uploaded version exactly once, with the right size and status. */
  rowsVerified: number;
  /** Uploaded versions without an upload row. */
  missing: number;
  /** Upload rows beyond the first for a version, plus rows for versions never uploaded. */
  duplicateRows: number;
  /** Objects whose state row is absent, not PRESENT, or not at the newest version. */
  wrongState: number;
  /** The first problems found, for the report. */
  problems: string[];
}

const MAX_PROBLEMS = 20;

/** Checks one object's rows against what was uploaded and adds the result to `into`. */
export function verifyObject(expected: ExpectedObject, rows: ObjectRows, into: Verification): void {
  const note = (problem: string) => {
    if (into.problems.length < MAX_PROBLEMS) into.problems.push(`${expected.key}: ${problem}`);
  };
  const byETag = new Map<string, Record<string, unknown>[]>();
  for (const row of rows.uploads) {
    const eTag = String(row.eTag);
    byETag.set(eTag, [...(byETag.get(eTag) ?? []), row]);
  }
  const newestETag = expected.versions[expected.versions.length - 1]?.eTag;
  for (const version of expected.versions) {
    const found = byETag.get(version.eTag) ?? [];
    byETag.delete(version.eTag);
    if (found.length === 0) {
      into.missing += 1;
      note(`no upload row for eTag ${version.eTag}`);
      continue;
    }
    if (found.length > 1) {
      into.duplicateRows += found.length - 1;
      note(`${found.length} upload rows for eTag ${version.eTag}`);
    }
    const [row] = found;
    // A version overwritten before its notification was processed is GONE: S3 no longer holds it.
    // An infected one is REJECTED by its scan.
    const statusOk = expected.infected
      ? row?.status === 'REJECTED' && String(row.reason).startsWith('malware:')
      : row?.status === 'STORED' || (version.eTag !== newestETag && row?.status === 'GONE');
    if (row?.size === version.size && statusOk) into.rowsVerified += 1;
    else {
      into.missing += 1;
      note(`upload row for ${version.eTag} has size ${String(row?.size)} and status ${String(row?.status)}`);
    }
  }
  for (const [eTag, extra] of byETag) {
    into.duplicateRows += extra.length;
    note(`${extra.length} upload rows for eTag ${eTag}, which was never uploaded`);
  }
  const newest = expected.versions[expected.versions.length - 1];
  if (rows.state?.status !== 'PRESENT' || rows.state.eTag !== newest?.eTag) {
    into.wrongState += 1;
    note(
      `state is ${String(rows.state?.status)} at ${String(rows.state?.eTag)}, expected PRESENT at ${newest?.eTag}`,
    );
  }
}

/** The malware-scan gate's verdict (`--malware-rate`): what was scanned, rejected and copied. */
export interface MalwareVerification {
  /** Objects uploaded as the EICAR test file. */
  infected: number;
  /** Of those, rows REJECTED with a `malware:` reason and a THREATS_FOUND scan. */
  rejected: number;
  /** Of those, objects found in the copy destination: each one a failure of the gate. */
  copied: number;
  /** Clean objects, and those of them whose newest version was scanned clean and copied. */
  clean: number;
  cleanCopied: number;
  /** Newest versions whose row has no scan recorded. */
  unscanned: number;
}

/** An empty malware verdict to add objects to. */
export function emptyMalwareVerification(): MalwareVerification {
  return { infected: 0, rejected: 0, copied: 0, clean: 0, cleanCopied: 0, unscanned: 0 };
}

/**
 * Checks one object against the gate: its newest version's row (scan recorded, REJECTED when
 * infected) and what the copy destination holds for it (`copiedETag`, undefined when nothing).
 */
export function verifyMalwareGate(
  expected: ExpectedObject,
  newestRow: Record<string, unknown> | undefined,
  copiedETag: string | undefined,
  into: MalwareVerification,
  problems: string[],
): void {
  const note = (problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${expected.key}: ${problem}`);
  };
  const newestETag = expected.versions.at(-1)?.eTag;
  if (newestRow?.scanStatus === undefined) {
    into.unscanned += 1;
    note('no malware scan recorded');
  }
  if (expected.infected) {
    into.infected += 1;
    if (newestRow?.scanResult === 'THREATS_FOUND' && newestRow.status === 'REJECTED') into.rejected += 1;
    else note(`infected, but ${String(newestRow?.status)} with scan ${String(newestRow?.scanResult)}`);
    if (copiedETag !== undefined) {
      into.copied += 1;
      note('infected, and in the copy destination');
    }
    return;
  }
  into.clean += 1;
  if (copiedETag === newestETag) into.cleanCopied += 1;
  else note(`clean, but the copy destination holds ${copiedETag ?? 'nothing'} instead of ${newestETag}`);
}

/** An empty verdict to add objects to. */
export function emptyVerification(): Verification {
  return { rowsVerified: 0, missing: 0, duplicateRows: 0, wrongState: 0, problems: [] };
}

/** Splits DLQ bodies into this run's poison messages and anything else. */
export function classifyDlq(bodies: readonly string[], runId: string): { poison: number; other: number } {
  let poison = 0;
  for (const body of bodies) if (body.includes(POISON_MARKER) && body.includes(runId)) poison += 1;
  return { poison, other: bodies.length - poison };
}

/**
 * DLQ messages of this run that are not the poison it injected: notifications of real objects the
 * pipeline gave up on (each is a failure, whatever the rows say after a redrive).
 */
export function goodMessagesInDlq(bodies: readonly string[], runId: string): number {
  return bodies.filter((body) => body.includes(runId) && !body.includes(POISON_MARKER)).length;
}

/** Count metrics the worker emitted, and what the run's verified facts say they must be. */
export interface MetricsCheck {
  readonly match: boolean;
  readonly emitted: Readonly<Record<string, number>>;
  readonly expected: Readonly<Record<string, number>>;
}

/**
 * Compares the worker's EMF totals with what was verified. `RecordsFailed` must be at least the
 * poison messages times their receives; more means transient failures that were retried (for
 * example a concurrent duplicate that found its twin in progress), which the report shows.
 */
export function checkMetrics(
  emitted: Readonly<Record<string, number>>,
  expected: Readonly<Record<string, number>>,
  minimumRecordsFailed: number,
): MetricsCheck {
  // A name like `A+B` compares the sum of two metrics.
  const total = (name: string) => name.split('+').reduce((sum, part) => sum + (emitted[part] ?? 0), 0);
  const exact = Object.entries(expected).every(([name, value]) => total(name) === value);
  const failed = emitted.RecordsFailed ?? 0;
  return { match: exact && failed >= minimumRecordsFailed, emitted, expected };
}
