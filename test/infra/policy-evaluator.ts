/**
 * Just enough of IAM's policy evaluation to answer "may this service principal do this action on
 * this resource, in this request context?" over a synthesized template's resource policies:
 * explicit Deny wins, then some Allow must match principal, action, resource and every condition.
 * CloudFormation intrinsics are resolved for the test stack's fixed account, region and partition.
 */

type Json = unknown;

export interface RequestContext {
  readonly service: string;
  readonly action: string;
  /** The resource's ARN, or `ref:<LogicalId>` for a resource whose ARN CloudFormation makes. */
  readonly resource: string;
  /**
   * Condition keys of the request, such as `aws:SourceArn`, `aws:SecureTransport`; a list for a
   * multivalued key such as `s3:RequestObjectTagKeys`.
   */
  readonly keys: Readonly<Record<string, string | readonly string[]>>;
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Json;
  readonly Action?: string | string[];
  readonly Resource?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'eu-west-1',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resolves `Ref`, `Fn::GetAtt` and `Fn::Join` to strings (`ref:<id>`, `getatt:<id>.<attr>` for resources). */
export function resolve(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  if ('Ref' in object) return PSEUDO[String(object.Ref)] ?? `ref:${String(object.Ref)}`;
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    return `getatt:${id}.${attribute}`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return parts.map((part) => String(resolve(part))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolve(inner)]));
}

const list = (value: Json): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/**
 * IAM's `*` and `?` wildcards. Action names match whatever their case; resources and condition
 * values (`StringLike`, `ArnLike`) match case-sensitively, as IAM matches them.
 */
function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return regex.test(value);
}

function principalMatches(principal: Json, service: string): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const byType = principal as Record<string, Json>;
  return list(byType.Service).includes(service) || list(byType.AWS).includes('*');
}

/** Whether one value of the request satisfies a positive operator against the policy's values. */
function valueHolds(operator: string, values: readonly string[], actual: string): boolean | undefined {
  if (operator === 'StringEquals' || operator === 'ArnEquals' || operator === 'Bool')
    return values.includes(actual);
  if (operator === 'StringLike' || operator === 'ArnLike')
    return values.some((pattern) => wildcardMatch(pattern, actual));
  return undefined;
}

function conditionsHold(conditions: PolicyStatement['Condition'], keys: RequestContext['keys']): boolean {
  for (const [qualified, tests] of Object.entries(conditions ?? {})) {
    const [qualifier, operator] = qualified.includes(':') ? qualified.split(':') : [undefined, qualified];
    for (const [key, expected] of Object.entries(tests)) {
      const actual = keys[key];
      const values = list(expected);
      let holds: boolean | undefined;
      if (qualifier === 'ForAnyValue') {
        // Any of the request's values matches; a key the request lacks matches nothing.
        const actualValues = actual === undefined ? [] : typeof actual === 'string' ? [actual] : actual;
        holds = actualValues.some((value) => valueHolds(String(operator), values, value) === true);
      } else if (operator === 'StringNotEquals' || operator === 'ArnNotEquals') {
        // IAM: a negated operator holds when the key is absent.
        holds = actual === undefined || (typeof actual === 'string' && !values.includes(actual));
      } else if (operator === 'StringNotLike' || operator === 'ArnNotLike') {
        holds =
          actual === undefined ||
          (typeof actual === 'string' && !values.some((pattern) => wildcardMatch(pattern, actual)));
      } else if (operator === 'Null') {
        // `true`: the request lacks the key; `false`: it has it.
        holds = values.includes(String(actual === undefined));
      } else if (actual === undefined || typeof actual !== 'string') {
        holds = false;
      } else {
        holds = valueHolds(String(operator), values, actual);
      }
      // An operator this evaluator does not know never holds.
      if (holds !== true) return false;
    }
  }
  return true;
}

function matches(statement: PolicyStatement, request: RequestContext): boolean {
  return (
    principalMatches(statement.Principal, request.service) &&
    list(statement.Action).some((action) => wildcardMatch(action, request.action, true)) &&
    list(statement.Resource).some(
      (resource) => resource === '*' || wildcardMatch(resource, request.resource),
    ) &&
    conditionsHold(statement.Condition, request.keys)
  );
}

/** Whether a Deny statement of the resource policy made of `statements` matches the request. */
export function isDenied(statements: readonly PolicyStatement[], request: RequestContext): boolean {
  const resolved = statements.map((statement) => resolve(statement) as PolicyStatement);
  return resolved.some((statement) => statement.Effect === 'Deny' && matches(statement, request));
}

/** Whether the resource policy made of `statements` lets the request through. */
export function isAllowed(statements: readonly PolicyStatement[], request: RequestContext): boolean {
  const resolved = statements.map((statement) => resolve(statement) as PolicyStatement);
  if (resolved.some((statement) => statement.Effect === 'Deny' && matches(statement, request))) return false;
  return resolved.some((statement) => statement.Effect === 'Allow' && matches(statement, request));
}
