import { describe, expect, it } from 'vitest';
import type { BackfillProgress } from '../../src/tools/backfill.js';
import { describeBackfillProgress, shareDone } from '../../src/tools/backfill-progress.js';

const progress = (fields: Partial<BackfillProgress> = {}): BackfillProgress => ({
  listed: 4_000,
  enqueued: 3_000,
  skippedDeleteMarkers: 0,
  partitions: 8,
  partitionsDone: 2,
  listCalls: 4,
  sendCalls: 300,
  ...fields,
});

describe('backfill progress line', () => {
  it('shows partitions, listed, enqueued and the rate, and no ETA when the total is unknown (a listing)', () => {
    expect(describeBackfillProgress(progress(), 10)).toBe(
      'partitions 2/8, listed 4000, enqueued 3000 (300/s)',
    );
    expect(shareDone(progress())).toBeUndefined();
  });

  it('gives the share done and the ETA from the rate of this run when an inventory sizes its files', () => {
    // A quarter of the report read in 30 s: three quarters left take 90 s.
    const line = describeBackfillProgress(progress({ bytesTotal: 4_000_000, bytesRead: 1_000_000 }), 30);
    expect(line).toBe('partitions 2/8, listed 4000, enqueued 3000 (100/s), 25% done, ETA 1m30s');
  });

  it('does not count what a resumed run skipped as its speed', () => {
    // Resumed at 50 %, 60 % after 20 s: 10 % per 20 s, so 40 % takes 80 s (not the 13 s that 60 % in 20 s suggests).
    const line = describeBackfillProgress(progress({ bytesTotal: 1_000, bytesRead: 600 }), 20, 0.5);
    expect(line).toContain('60% done, ETA 1m20s');
    expect(describeBackfillProgress(progress({ bytesTotal: 1_000, bytesRead: 500 }), 1, 0.5)).toContain(
      'ETA unknown yet',
    );
    expect(describeBackfillProgress(progress({ bytesTotal: 1_000, bytesRead: 1_000 }), 9, 0)).toContain(
      '100% done, finishing',
    );
  });
});
