import { OUTPUT } from '../../../infra/output-names.js';
import { CONFIG_ENV } from '../../config.js';
import type { LocalResourceNames } from '../resources.js';
import { LOCAL_ACCOUNT, type Permission } from './aws-front-door.js';
import type { CfnTemplate, WorkerLambdaSettings } from './template-settings.js';

/** An identity policy statement with its actions and resources as plain strings. */
export interface RoleStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly hasConditions: boolean;
}

type Json = unknown;

const asList = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * The local ARN (and name) of each template resource the worker touches, found by role: the tables
 * and copy destination through the worker's environment, the watched bucket through the stack's
 * output, the queues through the event source.
 */
function localResourcesOf(
  template: CfnTemplate,
  settings: WorkerLambdaSettings,
  names: LocalResourceNames,
  region: string,
): Map<string, { name: string; arn: string }> {
  const table = (name: string) => ({
    name,
    arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${name}`,
  });
  const bucket = (name: string) => ({ name, arn: `arn:aws:s3:::${name}` });
  const queue = (name: string) => ({ name, arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${name}` });
  const refId = (value: Json) =>
    value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: Json }).Ref) : undefined;
  const byId = new Map<string, { name: string; arn: string }>();
  const put = (id: string | undefined, resource: { name: string; arn: string }) => {
    if (id) byId.set(id, resource);
  };
  put(refId(settings.environment[CONFIG_ENV.uploadLogTable]), table(names.uploadLogTable));
  put(refId(settings.environment[CONFIG_ENV.idempotencyTable]), table(names.idempotencyTable));
  put(refId(settings.environment[CONFIG_ENV.copyDestinationBucket]), bucket(names.copyDestinationBucket));
  put(refId(template.Outputs?.[OUTPUT.ingestBucket]?.Value), bucket(names.uploadsBucket));
  put(settings.queue.logicalId, queue(names.ingestQueue));
  put(settings.deadLetterQueue.logicalId, queue(names.dlq));
  return byId;
}

/** Resolves `Ref`, `Fn::GetAtt ... Arn` and `Fn::Join` to local names and ARNs; anything else stays unmatched. */
function resolver(byId: Map<string, { name: string; arn: string }>, region: string) {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (!value || typeof value !== 'object') return String(value);
    const object = value as Record<string, Json>;
    if ('Ref' in object) {
      const id = String(object.Ref);
      return pseudo[id] ?? byId.get(id)?.name ?? `unresolved:${id}`;
    }
    if ('Fn::GetAtt' in object) {
      const [id, attribute] = object['Fn::GetAtt'] as [string, string];
      const found = byId.get(id);
      return attribute === 'Arn' && found ? found.arn : `unresolved:${id}.${attribute}`;
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, Json[]];
      return parts.map(resolve).join(separator);
    }
    return `unresolved:${JSON.stringify(value)}`;
  };
  return resolve;
}

/**
 * The statements of the worker role's policies in the template, with ARNs of the local stack's
 * resources, so a call recorded locally can be checked against what the deployed role allows.
 */
export function workerRoleStatements(
  template: CfnTemplate,
  settings: WorkerLambdaSettings,
  names: LocalResourceNames,
  region: string,
): RoleStatement[] {
  const resolve = resolver(localResourcesOf(template, settings, names, region), region);
  const roleRef = JSON.stringify({ Ref: settings.roleLogicalId });
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => asList(policy.Properties?.Roles).some((role) => JSON.stringify(role) === roleRef))
    .flatMap((policy) => asList((policy.Properties?.PolicyDocument as { Statement?: Json })?.Statement))
    .map((raw) => {
      const statement = raw as { Effect: 'Allow' | 'Deny'; Action?: Json; Resource?: Json; Condition?: Json };
      return {
        effect: statement.Effect,
        actions: asList(statement.Action).map(String),
        resources: asList(statement.Resource).map(resolve),
        hasConditions: statement.Condition !== undefined,
      };
    });
}

/** IAM's `*` and `?` wildcards (actions match case-insensitively, ARNs exactly). */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const covers = (statement: RoleStatement, permission: Permission) =>
  statement.actions.some((action) => wildcardMatch(action, permission.action, true)) &&
  statement.resources.some((resource) => wildcardMatch(resource, permission.resource, false));

/**
 * Whether the role allows a permission: an explicit Deny wins; then an Allow must cover the
 * action and the resource. A statement with conditions is not taken to allow anything (fail closed).
 */
export function roleAllows(statements: readonly RoleStatement[], permission: Permission): boolean {
  if (statements.some((statement) => statement.effect === 'Deny' && covers(statement, permission)))
    return false;
  return statements.some(
    (statement) => statement.effect === 'Allow' && !statement.hasConditions && covers(statement, permission),
  );
}

/** The permissions the role would deny. */
export function deniedPermissions(
  statements: readonly RoleStatement[],
  permissions: readonly Permission[],
): Permission[] {
  return permissions.filter((permission) => !roleAllows(statements, permission));
}

/**
 * Each granted action and resource pattern that no recorded call needed: a grant beyond least
 * privilege, unless a code path the local stack cannot drive needs it.
 */
export function unusedGrants(
  statements: readonly RoleStatement[],
  permissions: readonly Permission[],
): Permission[] {
  const unused: Permission[] = [];
  for (const statement of statements.filter((candidate) => candidate.effect === 'Allow')) {
    for (const action of statement.actions) {
      for (const resource of statement.resources) {
        const used = permissions.some(
          (permission) =>
            wildcardMatch(action, permission.action, true) &&
            wildcardMatch(resource, permission.resource, false),
        );
        if (!used) unused.push({ action, resource });
      }
    }
  }
  return unused;
}

/**
 * Grants of the worker role that no local run exercises, each with the reason it is still needed.
 * The deploy-parity test fails on any other grant no call used.
 */
export const GRANTS_FOR_PATHS_NOT_RUN_LOCALLY: Readonly<Record<string, string>> = {
  'logs:CreateLogStream': "Lambda's runtime writes the function's stdout (logs and EMF) to its log group",
  'logs:PutLogEvents': "Lambda's runtime writes the function's stdout (logs and EMF) to its log group",
  'xray:PutTraceSegments': 'active tracing: the Lambda service sends the segments',
  'xray:PutTelemetryRecords': 'active tracing: the Lambda service sends the telemetry',
  'sqs:GetQueueAttributes': "Lambda's event source mapping reads the queue's attributes (AWS requires it)",
  'sqs:ChangeMessageVisibility':
    "granted by the CDK's SqsEventSource (queue.grantConsumeMessages); Lambda's poller may return messages early",
  'sqs:GetQueueUrl': "granted by the CDK's SqsEventSource (queue.grantConsumeMessages)",
  's3:AbortMultipartUpload':
    'cleans up a failed multipart copy of an object over 5 GiB, which the local S3 cannot hold; covered by test/handler/versions-and-copies.test.ts',
  's3:ListMultipartUploadParts':
    'checks that an aborted multipart copy left no part behind (objects over 5 GiB); covered by test/handler/versions-and-copies.test.ts',
  's3:ListBucketMultipartUploads':
    'finds a multipart copy an earlier attempt left open before opening another (objects over 5 GiB); covered by test/handler/versions-and-copies.test.ts',
  'dynamodb:GetItem':
    "Powertools' idempotency reads a record with GetItem when a failed conditional put returns no item (its documented required permissions); DynamoDB and the local stack always return the item, so the call is not seen here",
};
