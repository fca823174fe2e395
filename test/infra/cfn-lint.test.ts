import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestStackProps } from '../../infra/ingest-stack.js';
import { CFN_LINT, CFN_LINT_VERSION, type Finding, lint, unexplainedFindings } from '../support/cfn-lint.js';
import { FULL_CONFIGURATION, templateOf } from './synth.js';

// The synthesized templates checked by AWS's own CloudFormation linter: an independent reading of
// what CloudFormation will accept (resource schemas, property values, intrinsic functions).

const VERSION = CFN_LINT_VERSION;
if (!VERSION) {
  // CI has it on the PATH: there, a missing linter is a failure, not a reason to skip.
  if (process.env.CI)
    throw new Error(`the template tests need ${CFN_LINT} on the PATH (pip install cfn-lint)`);
  process.stderr.write(
    `\nThe cfn-lint tests did not run: no ${CFN_LINT} on the PATH. Install it with \`pip install cfn-lint\` (or set CFN_LINT_PATH).\n`,
  );
}

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
  'EventBridge buckets (own and existing) beside a notifications bucket, upload events on a bus and by email':
    {
      eventBus: true,
      notifyEmail: 'team@example.com',
      ownBucketSource: 'eventbridge',
      eventBridgeBucketNames: ['team-b-uploads'],
      existingBucketNames: ['team-a-uploads'],
    },
  'malware protection (GuardDuty plan, scan results rule, gate) with a copy destination and an existing bucket':
    {
      malwareProtection: true,
      scanFailureAction: 'accept',
      copyDestination: true,
      existingBucketNames: ['team-a-uploads'],
    },
};

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
    expect(unexplainedFindings(findings, fileOf(name))).toEqual([]);
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
