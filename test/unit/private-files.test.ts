import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  discardFilePath,
  openPrivateAppend,
  stateDirectory,
  writePrivateFile,
} from '../../src/tools/private-files.js';

// Files that hold uploaders' bodies, principals and IPs, or a console's token.
const scratch = () => mkdtempSync(join(tmpdir(), 's3-ingest-files-'));

describe('private files', () => {
  it('writes owner-only files through a fresh name, never through a symlink planted beside them', async () => {
    // Prepare: a victim file, and symlinks at the names a careless writer would use.
    const dir = scratch();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    const path = join(dir, 'checkpoint.json');
    symlinkSync(victim, `${path}.tmp`);
    // Act
    await writePrivateFile(path, '{"done":1}\n');
    // Assess
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(path, 'utf8')).toBe('{"done":1}\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('appends to an owner-only file, and refuses to append through a symlink', async () => {
    const dir = scratch();
    const existing = join(dir, 'old.ndjson');
    writeFileSync(existing, '', { mode: 0o644 });
    const handle = await openPrivateAppend(existing);
    await handle.appendFile('{"body":"x"}\n');
    await handle.close();
    expect(statSync(existing).mode & 0o777).toBe(0o600);
    const link = join(dir, 'link.ndjson');
    symlinkSync(join(dir, 'victim'), link);
    await expect(openPrivateAppend(link)).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('keeps state in LOCAL_STATE_DIR, or .local', () => {
    expect(stateDirectory({ LOCAL_STATE_DIR: '/tmp/state-2' })).toBe('/tmp/state-2');
    expect(stateDirectory({})).toBe('.local');
    expect(discardFilePath('/s', new Date('2026-12-06T10:00:00.000Z'))).toBe(
      '/s/discarded-2026-12-06T10-00-00-000Z.ndjson',
    );
  });
});
