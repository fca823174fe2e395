import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A resource as cdk-nag prints it in a finding (`Resource::<finding>`): the value resolved in its
 * stack, `Fn::Join` joined, `Ref` as `<Name>`, `Fn::GetAtt` as `<LogicalId.Attribute>`. Written from
 * the resolved value, so an acknowledgement matches whatever the app's feature flags render
 * (`@aws-cdk/core:enablePartitionLiterals` writes `arn:aws:` where it would write `<AWS::Partition>`).
 */
export function nagFinding(scope: IConstruct, value: unknown): string {
  return render(Stack.of(scope).resolve(value));
}

function render(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(render).join('');
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    if ('Ref' in object) return `<${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) {
      const [id, attribute] = object['Fn::GetAtt'] as [string, string];
      return `<${id}.${attribute}>`;
    }
  }
  return JSON.stringify(value);
}
