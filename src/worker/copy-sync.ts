import type { CopyResult, ObjectStore } from '../adapters/object-store.js';
import type { UploadLog } from '../adapters/upload-log.js';
import { objectPk } from '../core/log-items.js';
import { copyClearance, type ScanFailureAction } from '../core/scan-result.js';
import { type ValidationRules, validateObject } from '../core/validation.js';
import { readContentType } from './content-read.js';
import { copyCurrentContent } from './ingest-object.js';

/** The content a copy is brought up to: an object's current content by eTag. */
export interface CopyTarget {
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string;
  readonly size?: number;
}

/**
 * Brings the copy of one object up to `target`, the content its state row now holds, and records
 * that on the state row of `sequencerKey`.
 *
 * @param knownAccepted - the content passed validation already; otherwise it is headed and validated first
 * @returns `rejected` when the content fails validation or its scan found malware (no copy),
 *   `pending-scan` when the gate waits for its scan, else the copy's result
 */
export type CopySync = (
  target: CopyTarget,
  sequencerKey: string,
  knownAccepted: boolean,
  deadline?: number,
) => Promise<CopyResult | 'rejected' | 'pending-scan'>;

/** The malware-scan gate's settings, when it is on. */
export interface ScanGate {
  readonly failureAction: ScanFailureAction;
}

/**
 * The copy rule, outside the idempotent step: once the queue drains, the destination holds the
 * source's current content. The idempotent step copies new content; this catches up where a
 * stored result or a removal changed what is current (A, B, A again; a re-upload of content
 * recorded GONE; a deleted version that uncovers an older one).
 */
export function createCopySync(
  objects: ObjectStore,
  log: UploadLog,
  destinationBucket: string,
  rules: ValidationRules,
  contentChecks = false,
  scanGate?: ScanGate,
): CopySync {
  return async (target, sequencerKey, knownAccepted, deadline) => {
    if (scanGate) {
      // Under the gate only content a scan cleared is copied, whichever path made it current.
      const rows = await log.rowsOfContent(objectPk(target.bucket, target.key), target.eTag);
      const clearance = copyClearance(rows, scanGate.failureAction);
      if (clearance !== 'clean') return clearance === 'infected' ? 'rejected' : 'pending-scan';
    }
    let size = target.size;
    if (!knownAccepted) {
      const head = await objects.head({ bucket: target.bucket, key: target.key });
      if (!head || head.eTag !== target.eTag) return 'source-changed';
      // The content is judged as the idempotent step judges it: an executable labelled as a PDF
      // that a removal made current again is not copied on its label.
      const content = contentChecks
        ? await readContentType(objects, { bucket: target.bucket, key: target.key }, target.eTag)
        : {};
      if (content.changed) return 'source-changed';
      const verdict = validateObject(rules, {
        key: target.key,
        ...(head.size !== undefined && { size: head.size }),
        ...(head.contentType !== undefined && { contentType: head.contentType }),
        ...(content.detected && { detectedType: content.detected }),
      });
      if (!verdict.accepted) return 'rejected';
      size = head.size;
    }
    const { result, copiedTo } = await copyCurrentContent(
      { ...target, ...(size !== undefined && { size }) },
      objects,
      destinationBucket,
      deadline,
    );
    if (result === 'copied')
      await log.markCopied(objectPk(target.bucket, target.key), sequencerKey, copiedTo);
    return result;
  };
}
