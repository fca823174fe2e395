import type { DetectedType } from './content-detection.js';
import type { CreatedObjectEvent } from './types.js';
import { type ValidationRules, validateObject } from './validation.js';

/** The part of HeadObject's answer that decisions depend on. */
export interface ObjectFacts {
  readonly eTag?: string;
  readonly size?: number;
  readonly contentType?: string;
  /** What the content's first bytes show, when content checks read them and they show a type. */
  readonly detectedType?: DetectedType;
}

/** What to do with a newly created object, before any copy is attempted. */
export type ObjectVerdict =
  | { readonly status: 'ACCEPTED' }
  | { readonly status: 'REJECTED' | 'GONE'; readonly reason: string };

/**
 * True when HeadObject's answer describes the content this event announced: the event's own
 * version was asked for, or the current content still has the event's eTag. Only then may the
 * row take its content type and metadata from it (an overwritten object's HeadObject shows the
 * newer content's).
 */
export function describesEventContent(event: CreatedObjectEvent, facts: ObjectFacts | undefined): boolean {
  if (!facts) return false;
  return event.versionId !== undefined || facts.eTag === undefined || facts.eTag === event.eTag;
}

/**
 * Decides what the event's content is: gone (deleted or overwritten before we looked),
 * rejected by a validation rule, or accepted.
 *
 * @param facts - what HeadObject returned (for the event's version when it has one), `undefined`
 *   when the object or version no longer exists
 */
export function judgeObject(
  event: CreatedObjectEvent,
  facts: ObjectFacts | undefined,
  rules: ValidationRules,
): ObjectVerdict {
  if (!facts) {
    return {
      status: 'GONE',
      reason: event.versionId === undefined ? 'object no longer exists' : 'version no longer exists',
    };
  }
  // Without a versionId, HeadObject sees the newest content; if that is not this event's, the
  // content this event announced is already gone and the newer upload has its own event.
  if (!describesEventContent(event, facts)) {
    return {
      status: 'GONE',
      reason: `object was overwritten (now eTag ${facts.eTag}) before it was processed`,
    };
  }
  const verdict = validateObject(rules, {
    key: event.key,
    ...((event.size ?? facts.size) !== undefined && { size: event.size ?? facts.size }),
    ...(facts.contentType !== undefined && { contentType: facts.contentType }),
    ...(facts.detectedType !== undefined && { detectedType: facts.detectedType }),
  });
  return verdict.accepted ? { status: 'ACCEPTED' } : { status: 'REJECTED', reason: verdict.reason };
}
