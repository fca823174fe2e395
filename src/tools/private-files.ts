import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Where the local stack and the tools keep their files (the stack description, discard files,
 * checkpoints): `LOCAL_STATE_DIR`, or `.local` in the working directory.
 *
 * @param env - the environment to read @default process.env
 */
export function stateDirectory(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configured = env.LOCAL_STATE_DIR?.trim();
  return configured ? configured : '.local';
}

/** Files that hold what uploaders sent (bodies, principals, IPs) or a console's token: owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Writes a whole file readable by its owner only, atomically: the content goes to a fresh
 * temporary name created exclusively (`O_EXCL`, so a symlink or file planted at a guessable name
 * is never followed or overwritten), is flushed, then renamed over `path`.
 */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = join(dirname(path), `.${randomBytes(9).toString('base64url')}.tmp`);
  const handle = await open(temporary, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
}

/**
 * Opens a file to append to, readable by its owner only: created 0600 when new, set to 0600
 * when it was not, and never through a symlink (`O_NOFOLLOW`).
 */
export async function openPrivateAppend(path: string): Promise<FileHandle> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    PRIVATE_FILE_MODE,
  );
  await handle.chmod(PRIVATE_FILE_MODE);
  return handle;
}

/** A fresh file name for a discard under the state directory: `discarded-<time>.ndjson`. */
export function discardFilePath(directory: string = stateDirectory(), now = new Date()): string {
  return join(directory, `discarded-${now.toISOString().replace(/[:.]/g, '-')}.ndjson`);
}
