import { readFileSync } from 'node:fs';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IngestStack, type IngestStackProps } from '../../infra/ingest-stack.js';

/** The configuration the tests call full: an existing bucket, a copy destination, an alarm email, every worker setting. */
export const FULL_CONFIGURATION: IngestStackProps = {
  existingBucketNames: ['team-a-uploads'],
  copyDestination: true,
  alarmEmail: 'oncall@example.com',
  maxReceiveCount: 3,
  batchSize: 25,
  batchingWindow: Duration.seconds(5),
  maxConcurrency: 20,
  workerTimeout: Duration.seconds(60),
  retentionDays: 365,
  blockedExtensions: ['exe', 'bat'],
  alarmThresholds: { oldestMessageAgeSeconds: 120 },
};

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** Builds the stack in an app with cdk-nag's packs, as `infra/app.ts` does. */
export function buildStack(props: IngestStackProps = {}): { app: App; stack: IngestStack } {
  // The functions' code is not bundled here (each synth would run esbuild once per function): the
  // template's shape does not depend on it, and the bundle is what test/integration/local-runtime
  // and test/package compare byte for byte.
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new IngestStack(app, 'TestIngest', {
    ...props,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

/** The synthesized template of a stack built with `props`. */
export function templateOf(props: IngestStackProps = {}): Template {
  return Template.fromStack(buildStack(props).stack);
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Principal?: unknown };

type PolicyResource = { Properties: { PolicyDocument: { Statement: Statement[] }; Roles?: unknown[] } };

/** Every IAM policy statement in the template, or only those of roles whose logical id starts with `rolePrefix`. */
export function iamStatements(template: Template, rolePrefix?: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map((policy) => policy as PolicyResource)
    .filter((policy) => !rolePrefix || JSON.stringify(policy.Properties.Roles).includes(`"${rolePrefix}`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The actions of a statement as a list. */
export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
