import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/stack-context.js';
import { PROJECT_ROOT } from '../../src/local/lambda/bundle.js';

// The configuration reference cannot drift from the code: every prop of S3IngestProps has a
// @default and a row in docs/construct.md, every context key a row in docs/deploy.md, and neither
// page documents a setting that does not exist.

/** The members of an exported interface, with their `@default` tags, read by the TypeScript compiler. */
function interfaceMembers(file: string, name: string): { name: string; defaultTag: string | undefined }[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(PROJECT_ROOT, file), 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const declaration = source.statements.find(
    (statement): statement is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(statement) && statement.name.text === name,
  );
  if (!declaration) throw new Error(`${file} declares no interface ${name}`);
  return declaration.members.filter(ts.isPropertySignature).map((member) => {
    const tag = ts.getJSDocTags(member).find((one) => one.tagName.text === 'default');
    return {
      name: member.name.getText(source),
      defaultTag: tag ? String(ts.getTextOfJSDocComment(tag.comment) ?? '') : undefined,
    };
  });
}

/** The names in the first column of the page's table headed `header` (`name` cells, several per cell allowed). */
function documentedNames(page: string, header: string): string[] {
  const lines = readFileSync(join(PROJECT_ROOT, page), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${header} |`));
  if (start < 0) throw new Error(`${page} has no table headed "${header}"`);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|')[1] ?? '');
  }
  return rows.flatMap((cell) => [...cell.matchAll(/`([A-Za-z][A-Za-z0-9]*)`/g)].map((name) => name[1] ?? ''));
}

describe('the configuration reference', () => {
  const props = interfaceMembers('infra/s3-ingest.ts', 'S3IngestProps');

  it('reads the props (not a pass by reading nothing)', () => {
    expect(props.map((prop) => prop.name)).toEqual(
      expect.arrayContaining(['buckets', 'copyDestination', 'backfill']),
    );
  });

  it('gives every construct prop a @default', () => {
    expect(props.filter((prop) => !prop.defaultTag).map((prop) => prop.name)).toEqual([]);
  });

  it('documents every construct prop in docs/construct.md, and no other', () => {
    const documented = documentedNames('docs/construct.md', 'prop');
    expect(props.map((prop) => prop.name).filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !props.some((prop) => prop.name === name))).toEqual([]);
  });

  it('documents every context key in docs/deploy.md, and no other', () => {
    const documented = documentedNames('docs/deploy.md', 'context key');
    expect(CONTEXT_KEYS.filter((key) => !documented.includes(key))).toEqual([]);
    expect(documented.filter((name) => !(CONTEXT_KEYS as readonly string[]).includes(name))).toEqual([]);
  });
});
