import type { BackfillProgress } from './backfill.js';
import { formatAge } from './format.js';

/** How far a backfill is, when it can tell: a share of the work (0..1). */
export function shareDone(progress: Readonly<BackfillProgress>): number | undefined {
  if (progress.bytesTotal === undefined || progress.bytesRead === undefined || progress.bytesTotal <= 0)
    return undefined;
  return Math.min(1, progress.bytesRead / progress.bytesTotal);
}

/**
 * The progress line of a running backfill: partitions, listed, enqueued and the rate; with a known
 * total (an inventory whose manifest sizes its files) also the share done and the ETA, from the
 * rate of this run (a resume's earlier share is not counted as speed).
 *
 * @param startShare - the share done when this run started (0, or where a resume picked up)
 */
export function describeBackfillProgress(
  progress: Readonly<BackfillProgress>,
  elapsedSeconds: number,
  startShare = 0,
): string {
  const seconds = Math.max(0.001, elapsedSeconds);
  const parts = [
    `partitions ${progress.partitionsDone}/${progress.partitions}`,
    `listed ${progress.listed}`,
    `enqueued ${progress.enqueued} (${Math.round(progress.enqueued / seconds)}/s)`,
  ];
  const share = shareDone(progress);
  if (share !== undefined) {
    const gained = share - startShare;
    const eta = gained > 0 ? ((1 - share) * seconds) / gained : undefined;
    parts.push(`${Math.floor(share * 100)}% done`);
    parts.push(share >= 1 ? 'finishing' : eta === undefined ? 'ETA unknown yet' : `ETA ${formatAge(eta)}`);
  }
  return parts.join(', ');
}
