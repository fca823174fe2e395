import type { DetectedType } from './content-detection.js';

/** Rules an accepted object must meet. Every rule is optional; an empty rule set accepts all. */
export interface ValidationRules {
  /** Largest accepted object, in bytes. */
  readonly maxObjectBytes?: number;
  /** Accepted content types; `type/*` accepts a whole family. Empty or absent: any type. */
  readonly allowedContentTypes?: readonly string[];
  /** Rejected file extensions, lower-case without the dot (`exe`, `tar.gz`). */
  readonly blockedExtensions?: readonly string[];
  /** Reject an object whose content contradicts its declared content type. @default false */
  readonly rejectMismatchedTypes?: boolean;
}

/** What validation looks at. */
export interface ValidationSubject {
  readonly key: string;
  readonly size?: number;
  /** The declared type (the uploader's Content-Type). */
  readonly contentType?: string;
  /** The type the content's bytes show, when they show one. */
  readonly detectedType?: DetectedType;
}

/** Declared types that say nothing about the content: never contradicted by it. */
const UNSPECIFIC_TYPES = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/x-www-form-urlencoded',
]);

/** The verdict: accepted, or rejected with a reason fit for the upload log. */
export type ValidationVerdict =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: string };

const ACCEPTED: ValidationVerdict = Object.freeze({ accepted: true });

/**
 * Applies the configured rules to one object. The first failing rule gives the reason.
 *
 * @example validateObject({ blockedExtensions: ['exe'] }, { key: 'a/setup.EXE' })
 * // { accepted: false, reason: 'extension .exe is blocked' }
 */
export function validateObject(rules: ValidationRules, subject: ValidationSubject): ValidationVerdict {
  if (
    rules.maxObjectBytes !== undefined &&
    subject.size !== undefined &&
    subject.size > rules.maxObjectBytes
  ) {
    return {
      accepted: false,
      reason: `size ${subject.size} bytes exceeds the limit of ${rules.maxObjectBytes}`,
    };
  }
  const blocked = blockedExtensionOf(subject.key, rules.blockedExtensions ?? []);
  if (blocked !== undefined) return { accepted: false, reason: `extension .${blocked} is blocked` };
  const detected = subject.detectedType;
  const declared = mediaType(subject.contentType);
  if (
    detected &&
    (rules.blockedExtensions ?? []).some((extension) => extension.toLowerCase() === detected.ext)
  ) {
    return {
      accepted: false,
      reason: `content is ${detected.mime} (.${detected.ext} is blocked), declared ${declared ?? 'no type'}`,
    };
  }
  const allowed = rules.allowedContentTypes ?? [];
  if (allowed.length > 0) {
    // What the bytes are when they say; what was declared otherwise (plain text has no signature).
    const judged = detected?.mime ?? declared;
    if (judged === undefined) return { accepted: false, reason: 'content type is missing' };
    if (!allowed.some((pattern) => contentTypeMatches(pattern, judged))) {
      return {
        accepted: false,
        reason: detected
          ? `content is ${judged}, not an allowed type (declared ${declared ?? 'no type'})`
          : `content type ${judged} is not allowed`,
      };
    }
  }
  if (
    rules.rejectMismatchedTypes &&
    detected &&
    declared !== undefined &&
    !UNSPECIFIC_TYPES.has(declared) &&
    declared !== detected.mime
  ) {
    return { accepted: false, reason: `declared ${declared}, but the content is ${detected.mime}` };
  }
  return ACCEPTED;
}

/** `text/plain; charset=utf-8` -> `text/plain`, lower-cased. */
function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

function contentTypeMatches(pattern: string, contentType: string): boolean {
  const wanted = pattern.trim().toLowerCase();
  if (wanted.endsWith('/*')) return contentType.startsWith(wanted.slice(0, -1));
  return wanted === contentType;
}

function blockedExtensionOf(key: string, blockedExtensions: readonly string[]): string | undefined {
  const name = (key.split('/').pop() ?? key).toLowerCase();
  return blockedExtensions.find((extension) => name.endsWith(`.${extension.toLowerCase()}`));
}
