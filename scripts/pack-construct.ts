import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { FUNCTION_ENTRIES } from '../infra/function-code.js';
import { esbuildOptionsOf } from '../infra/worker-bundling.js';

// `npm run package`: the S3Ingest construct as an npm package. It holds the construct compiled to
// JavaScript with its .d.ts (lib/infra, and the parts of src/ it reads), and each function's built
// bundle (lib/functions/<name>/index.mjs), so a consumer needs neither tsx, esbuild nor the
// TypeScript sources. aws-cdk-lib and constructs are peer dependencies; nothing else is needed.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The package's folder, as it is packed. */
export const PACKAGE_DIR = join(ROOT, 'dist', 'package');

/** The versions of the peer dependencies the construct is built and tested with, as ranges. */
function peerDependencies(root: {
  devDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}) {
  const pinned = (name: string) => root.devDependencies?.[name] ?? root.dependencies?.[name];
  const cdk = pinned('aws-cdk-lib');
  const constructs = pinned('constructs');
  if (!cdk || !constructs) throw new Error('package.json pins no aws-cdk-lib or constructs');
  return { 'aws-cdk-lib': `^${cdk.replace(/^\D+/, '')}`, constructs: `^${constructs.replace(/^\D+/, '')}` };
}

/**
 * Builds the package folder and packs it.
 *
 * @returns the tarball's path (`dist/s3-ingest-<version>.tgz`)
 */
export function packConstruct(): string {
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  mkdirSync(PACKAGE_DIR, { recursive: true });
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.package.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES)) {
    buildSync({
      ...esbuildOptionsOf(entry),
      absWorkingDir: ROOT,
      outfile: join(PACKAGE_DIR, 'lib', 'functions', name, 'index.mjs'),
      logLevel: 'warning',
    });
  }
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    description: string;
    engines: Record<string, string>;
    devDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const entry = { types: './lib/infra/index.d.ts', default: './lib/infra/index.js' };
  const manifest = {
    name: 's3-ingest',
    version: root.version,
    description: `${root.description}: the S3Ingest CDK construct`,
    type: 'module',
    // Not for the public registry: a package named s3-ingest there is someone else's.
    private: true,
    exports: { '.': entry, './infra': entry, './package.json': './package.json' },
    types: entry.types,
    main: entry.default,
    files: ['lib', 'README.md'],
    engines: root.engines,
    peerDependencies: peerDependencies(root),
  };
  writeFileSync(join(PACKAGE_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(ROOT, 'docs', 'construct.md'), join(PACKAGE_DIR, 'README.md'));
  const output = execFileSync(
    'npm',
    ['pack', '--json', '--pack-destination', join(ROOT, 'dist'), PACKAGE_DIR],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const [packed] = JSON.parse(output) as { filename: string }[];
  if (!packed) throw new Error(`npm pack printed no tarball: ${output}`);
  return join(ROOT, 'dist', packed.filename);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${packConstruct()}\n`);
}
