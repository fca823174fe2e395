// The root package's postinstall: installs Node.js 24 (tools/lambda-node) unless the version its lock
// file names is already there. npm runs the root's postinstall again on `npm exec` in this checkout;
// `npm ci` would first delete the binary that running local stacks and tests are starting.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = `node-${process.platform}-${process.arch}`;

/** The version the lock file pins for this platform, or undefined when it has none. */
function lockedVersion() {
  const lock = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8'));
  return lock.packages?.[`node_modules/${name}`]?.version;
}

/** The version installed for this platform, or undefined. */
function installedVersion() {
  try {
    return JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

const wanted = lockedVersion();
if (wanted !== undefined && wanted === installedVersion()) {
  process.exit(0);
}
const npm = process.env.npm_execpath;
const [command, args] = npm
  ? [process.execPath, [npm, 'ci', '--no-audit', '--no-fund']]
  : ['npm', ['ci', '--no-audit', '--no-fund']];
execFileSync(command, args, { cwd: here, stdio: 'inherit' });
