import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly url: string; readonly functionName: string };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a sampled function belongs: a group of packages, Node.js itself, or this repository. */
export function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'Node.js built-ins (native)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
  if (pkg) {
    if (/^@(smithy|aws-sdk|aws-crypto)\//.test(pkg)) return 'AWS SDK (@smithy, @aws-sdk)';
    if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools';
    if (/^(fauxqs|fastify|@fastify\/|find-my-way|light-my-request|avvio|toad-cache)/.test(pkg))
      return 'fauxqs (S3, SQS)';
    if (
      /^(dynalite|memory-level|abstract-level|level-|big\.js|lock$|lazy$|async$|functional-red-black-tree)/.test(
        pkg,
      )
    )
      return 'dynalite (DynamoDB)';
    return pkg;
  }
  if (url.startsWith('node:')) return 'Node.js core (HTTP, streams, crypto)';
  if (url.includes('/loadtest/')) return 'load test driver';
  if (url.includes('/src/')) return 's3-ingest worker and local stack';
  return url;
}

/** Busy milliseconds per category, largest first; idle time is left out. */
export function summarizeCpuProfile(profile: CpuProfile): { category: string; ms: number; share: number }[] {
  const categories = new Map<number, string>(
    profile.nodes.map((node) => [node.id, categoryOf(node.callFrame.url, node.callFrame.functionName)]),
  );
  const byCategory = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const category = categories.get(id) ?? '(unknown)';
    if (category === '(idle)') return;
    const us = profile.timeDeltas[i] ?? 0;
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
    busy += us;
  });
  return [...byCategory]
    .sort(([, a], [, b]) => b - a)
    .map(([category, us]) => ({ category, ms: Math.round(us / 1000), share: busy === 0 ? 0 : us / busy }));
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || file === '--help' || file === '-h') {
    console.log('Usage: npx tsx loadtest/cpu-profile.ts FILE.cpuprofile\n\nBusy CPU time by package group.');
    return;
  }
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  for (const { category, ms, share } of summarizeCpuProfile(profile)) {
    console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${String(ms).padStart(7)} ms  ${category}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
