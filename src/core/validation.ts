/** Rules an accepted object must meet. Every rule is optional; an empty rule set accepts all. */
export interface ValidationRules {
  /** Largest accepted object, in bytes. */
  readonly maxObjectBytes?: number;
  /** Accepted content types; `type/*` accepts a whole family. Empty or absent: any type. */
  readonly allowedContentTypes?: readonly string[];
  /** Rejected file extensions, lower-case without the dot (`exe`, `tar.gz`). */
  readonly blockedExtensions?: readonly string[];
}

/** What validation looks at. */
export interface ValidationSubject {
  readonly key: string;
  readonly size?: number;
  readonly contentType?: string;
}

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
  const allowed = rules.allowedContentTypes ?? [];
  if (allowed.length > 0) {
    const contentType = mediaType(subject.contentType);
    if (contentType === undefined) return { accepted: false, reason: 'content type is missing' };
    if (!allowed.some((pattern) => contentTypeMatches(pattern, contentType))) {
      return { accepted: false, reason: `content type ${contentType} is not allowed` };
    }
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
