import type { CreatedObjectEvent } from './types.js';
import { type ValidationRules, validateObject } from './validation.js';

/** The part of HeadObject's answer that decisions depend on. */
export interface ObjectFacts {
  readonly eTag?: string;
  readonly size?: number;
  readonly contentType?: string;
}

/** What to do with a newly created object, before any copy is attempted. */
export type ObjectVerdict =
  | { readonly status: 'ACCEPTED' }
  | { readonly status: 'REJECTED' | 'GONE'; readonly reason: string };

/**
 * Decides what the event's content is: gone (deleted or overwritten before we looked),
 * rejected by a validation rule, or accepted.
 *
 * @param facts - what HeadObject returned, `undefined` when the object no longer exists
 */
export function judgeObject(
  event: CreatedObjectEvent,
  facts: ObjectFacts | undefined,
  rules: ValidationRules,
): ObjectVerdict {
  if (!facts) return { status: 'GONE', reason: 'object no longer exists' };
  // Without a versionId, HeadObject sees the newest content; if that is not this event's, the
  // content this event announced is already gone and the newer upload has its own event.
  if (event.versionId === undefined && facts.eTag !== undefined && facts.eTag !== event.eTag) {
    return {
      status: 'GONE',
      reason: `object was overwritten (now eTag ${facts.eTag}) before it was processed`,
    };
  }
  const verdict = validateObject(rules, {
    key: event.key,
    ...((event.size ?? facts.size) !== undefined && { size: event.size ?? facts.size }),
    ...(facts.contentType !== undefined && { contentType: facts.contentType }),
  });
  return verdict.accepted ? { status: 'ACCEPTED' } : { status: 'REJECTED', reason: verdict.reason };
}

/** Key of an accepted object's copy: the source bucket's name, then the key, so buckets never collide. */
export function copyDestinationKey(event: CreatedObjectEvent): string {
  return `${event.bucket}/${event.key}`;
}
