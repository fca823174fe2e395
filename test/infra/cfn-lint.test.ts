import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestStackProps } from '../../infra/ingest-stack.js';
import { FULL_CONFIGURATION, templateOf } from './synth.js';

// The synthesized templates checked by AWS's own CloudFormation linter: an independent reading of
// what CloudFormation will accept (resource schemas, property values, intrinsic functions).

/** cfn-lint: CFN_LINT_PATH, the PATH's, or pyenv's shim where a shell without pyenv's set-up runs the tests. */
const CFN_LINT =
  process.env.CFN_LINT_PATH ??
  ['cfn-lint', join(homedir(), '.pyenv/shims/cfn-lint')].find((candidate) => versionOf(candidate)) ??
  'cfn-lint';

function versionOf(command: string): string | undefined {
  try {
    return execFileSync(command, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

const VERSION = versionOf(CFN_LINT);
if (!VERSION) {
  // CI has it on the PATH: there, a missing linter is a failure, not a reason to skip.
  if (process.env.CI)
    throw new Error(`the template tests need ${CFN_LINT} on the PATH (pip install cfn-lint)`);
  process.stderr.write(
    `\nThe cfn-lint tests did not run: no ${CFN_LINT} on the PATH. Install it with \`pip install cfn-lint\` (or set CFN_LINT_PATH).\n`,
  );
}

/**
 * Warnings left in, each with the reason. Errors are never allowed.
 */
const ALLOWED_WARNINGS: Readonly<Record<string, string>> = {
  W3005:
    "aws-cdk-lib adds DependsOn on a Lambda function's role (and its default policy) although Role is a GetAtt of it: " +
    'the DependsOn also waits for the policy, so the function never starts without its permissions; CloudFormation accepts the redundancy',
};

/** Every configuration the tests synthesize, by name. */
const VARIANTS: Readonly<Record<string, IngestStackProps>> = {
  default: {},
  'copy destination, existing bucket, alarm email, every worker setting': {
    ...FULL_CONFIGURATION,
    gsiShardCount: 16,
    maxObjectBytes: 10_000_000,
    allowedContentTypes: ['image/*', 'application/pdf'],
  },
  'Batch Operations backfill function': { backfillFunction: true, inventoryBucketName: 'team-inventory' },
};

interface Finding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

function lint(files: readonly string[]): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    execFile(
      CFN_LINT,
      ['--format', 'json', ...files],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        // cfn-lint exits non-zero when it finds anything; its JSON says what.
        try {
          resolve(JSON.parse(stdout || '[]') as Finding[]);
        } catch {
          reject(error ?? new Error(`cfn-lint printed no JSON: ${stdout}`));
        }
      },
    );
  });
}

describe.runIf(VERSION)(`cfn-lint (${VERSION})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 's3-ingest-cfn-lint-'));
  const fileOf = (name: string) => join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
  let findings: Finding[] = [];

  beforeAll(async () => {
    for (const [name, props] of Object.entries(VARIANTS)) {
      writeFileSync(fileOf(name), JSON.stringify(templateOf(props).toJSON(), null, 1));
    }
    // One that CloudFormation would refuse, so the check is seen to fail.
    const template = templateOf({}).toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const queue = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::SQS::Queue');
    if (!queue?.Properties) throw new Error('the template has no queue');
    queue.Properties.VisibilityTimeout = 'soon';
    writeFileSync(fileOf('broken'), JSON.stringify(template));
    // One run over every file: cfn-lint's start-up is most of its time.
    findings = await lint([...Object.keys(VARIANTS), 'broken'].map(fileOf));
  }, 180_000);

  it.each(Object.keys(VARIANTS))('finds no error and no unexplained warning: %s', (name) => {
    const unexplained = findings
      .filter((finding) => finding.Filename === fileOf(name))
      .filter((finding) => finding.Level === 'Error' || !(finding.Rule.Id in ALLOWED_WARNINGS))
      .map(
        (finding) =>
          `${finding.Level} ${finding.Rule.Id} at ${finding.Location.Path.join('/')}: ${finding.Message}`,
      );
    expect(unexplained).toEqual([]);
  });

  it('catches a template CloudFormation would refuse (the check can fail)', () => {
    const broken = findings.filter((finding) => finding.Filename === fileOf('broken'));
    expect(
      broken.some(
        (finding) => finding.Level === 'Error' && /VisibilityTimeout/.test(finding.Location.Path.join('/')),
      ),
    ).toBe(true);
  });
});
