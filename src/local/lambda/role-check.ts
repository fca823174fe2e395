import { OUTPUT } from '../../../infra/output-names.js';
import { CONFIG_ENV } from '../../config.js';
import { EVENTS_ENV } from '../../events/events-env.js';
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
): Map<string, LocalResource> {
  const table = (name: string) => ({
    name,
    arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${name}`,
  });
  const bucket = (name: string) => ({ name, arn: `arn:aws:s3:::${name}` });
  const queue = (name: string) => ({ name, arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${name}` });
  const refId = (value: Json) =>
    value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: Json }).Ref) : undefined;
  const byId = new Map<string, LocalResource>();
  const put = (id: string | undefined, resource: LocalResource) => {
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

/** A template resource as the local stack has it: its name, ARN, and other attributes by name. */
type LocalResource = { name: string; arn: string; attributes?: Readonly<Record<string, string>> };

/** Resolves `Ref`, `Fn::GetAtt` and `Fn::Join` to local names and ARNs; anything else stays unmatched. */
function resolver(byId: Map<string, LocalResource>, region: string) {
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
      const value = attribute === 'Arn' ? found?.arn : found?.attributes?.[attribute];
      return value ?? `unresolved:${id}.${attribute}`;
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
  return roleStatementsOf(template, settings.roleLogicalId, resolve);
}

/** The statements of one role's policies, resolved. */
function roleStatementsOf(
  template: CfnTemplate,
  roleLogicalId: string,
  resolve: (value: Json) => string,
): RoleStatement[] {
  const roleRef = JSON.stringify({ Ref: roleLogicalId });
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

/**
 * The statements of the upload events publisher's role (the function behind the log's stream
 * event source), with the local stack's stream, topic and table, so the calls the local publisher
 * and its event source made can be checked against what the deployed role allows.
 *
 * @throws {Error} when the template has no stream event source
 */
export function publisherRoleStatements(
  template: CfnTemplate,
  names: LocalResourceNames,
  region: string,
  local: { readonly topicArn: string; readonly streamArn: string },
): RoleStatement[] {
  const resources = template.Resources;
  const mapping = Object.values(resources).find(
    (candidate) =>
      candidate.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(candidate.Properties?.EventSourceArn ?? '').includes('"StreamArn"'),
  );
  const [tableId] = ((mapping?.Properties?.EventSourceArn as { 'Fn::GetAtt'?: string[] })?.['Fn::GetAtt'] ??
    []) as string[];
  const functionId = (mapping?.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
  const fn = functionId ? resources[functionId] : undefined;
  const [roleId] = ((fn?.Properties?.Role as { 'Fn::GetAtt'?: string[] })?.['Fn::GetAtt'] ?? []) as string[];
  const topicId = (
    (fn?.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables?.[
      EVENTS_ENV.topicArn
    ] as { Ref?: string } | undefined
  )?.Ref;
  if (!tableId || !roleId || !topicId) throw new Error('the template has no upload events publisher');
  const byId = new Map<string, LocalResource>([
    [
      tableId,
      {
        name: names.uploadLogTable,
        arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${names.uploadLogTable}`,
        attributes: { StreamArn: local.streamArn },
      },
    ],
    // SNS's Ref of a topic is its ARN.
    [topicId, { name: local.topicArn, arn: local.topicArn }],
  ]);
  return roleStatementsOf(template, roleId, resolver(byId, region));
}

/**
 * Grants of the publisher role that no local run exercises, each with the reason it is still needed.
 */
export const PUBLISHER_GRANTS_NOT_RUN_LOCALLY: Readonly<Record<string, string>> = {
  'logs:CreateLogStream': "Lambda's runtime writes the publisher's stdout to its log group",
  'logs:PutLogEvents': "Lambda's runtime writes the publisher's stdout to its log group",
  'xray:PutTraceSegments': 'active tracing: the Lambda service sends the segments',
  'xray:PutTelemetryRecords': 'active tracing: the Lambda service sends the telemetry',
  'dynamodb:ListStreams':
    "Lambda's stream event source mapping lists the table's streams (AWS requires it); the local event source is given the stream",
  'kms:Decrypt': 'the topic is encrypted with its own key; the embedded SNS does not encrypt',
  'kms:GenerateDataKey': 'the topic is encrypted with its own key; the embedded SNS does not encrypt',
  'sqs:SendMessage':
    "the event source mapping's on-failure destination: Lambda sends a failed batch's description to the events DLQ",
  'sqs:GetQueueAttributes': 'granted by the CDK with the on-failure destination (SqsDlq)',
  'sqs:GetQueueUrl': 'granted by the CDK with the on-failure destination (SqsDlq)',
};

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
