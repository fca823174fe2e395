import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every relative link and anchor of the README, the RUNBOOK and docs/ points at something that is there.

const REPO = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  'RUNBOOK.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown outside fenced code blocks, where links are links. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a page's headings give, duplicates numbered as GitHub numbers them. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = slugOf(match[1] ?? '');
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

/** Every relative link target of a page: `[text](target)` and `![alt](target)`. */
function linksOf(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target));
}

describe('documentation links', () => {
  it('knows GitHub anchors (the check can fail)', () => {
    expect(slugOf('Configuration (worker environment)')).toBe('configuration-worker-environment');
    expect(slugOf('The copy destination (`COPY_DESTINATION_BUCKET`)')).toBe(
      'the-copy-destination-copy_destination_bucket',
    );
    expect(slugOf('4. Common issues')).toBe('4-common-issues');
  });

  it('finds every page it checks, and links in them', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'RUNBOOK.md', 'docs/worker.md']));
    expect(PAGES.flatMap((page) => linksOf(readFileSync(join(REPO, page), 'utf8'))).length).toBeGreaterThan(
      20,
    );
  });

  it.each(PAGES)('%s links only to files and anchors that exist', (page) => {
    const text = readFileSync(join(REPO, page), 'utf8');
    const broken = linksOf(text).filter((target) => {
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(REPO, page) : resolve(dirname(join(REPO, page)), path);
      if (!existsSync(file)) return true;
      if (anchor === undefined || !file.endsWith('.md')) return false;
      return !anchorsOf(readFileSync(file, 'utf8')).has(anchor);
    });
    expect({ page, broken }).toEqual({ page, broken: [] });
    // Links stay inside the repository.
    for (const target of linksOf(text)) {
      const file = resolve(dirname(join(REPO, page)), target.split('#')[0] || page);
      expect(relative(REPO, file).startsWith('..')).toBe(false);
    }
  });
});
