import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAllowed, type PolicyStatement, resolve } from './policy-evaluator.js';
import { templateOf } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** A request CloudWatch makes when an alarm of this account changes state: over TLS, from the alarm's ARN. */
const fromAlarm = {
  'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:any-alarm-name',
  'aws:SourceAccount': '123456789012',
  'aws:SecureTransport': 'true',
};

/** What blocks an alarm action from reaching its topic, or nothing when delivery works. */
function deliveryProblems(template: Template): { alarms: number; checked: number; problems: string[] } {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const byId = (id: string) => resources[id];
  const problems: string[] = [];
  let checked = 0;
  const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
  for (const [alarmId, alarm] of alarms) {
    const actions = [
      ...((alarm.Properties.AlarmActions as unknown[]) ?? []),
      ...((alarm.Properties.OKActions as unknown[]) ?? []),
    ];
    if (actions.length === 0) problems.push(`${alarmId} has no action`);
    for (const action of actions.map(resolve)) {
      const topicId = String(action).replace(/^ref:/, '');
      const topic = byId(topicId);
      if (topic?.Type !== 'AWS::SNS::Topic') {
        problems.push(`${alarmId} acts on ${String(action)}, not a topic of this stack`);
        continue;
      }
      const policies = Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::SNS::TopicPolicy' &&
          (resolve(r.Properties.Topics) as string[]).includes(`ref:${topicId}`),
      );
      const statements = policies.flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement,
      );
      // No topic policy at all would leave SNS's default policy; a policy replaces it entirely.
      if (
        policies.length > 0 &&
        !isAllowed(statements, {
          service: 'cloudwatch.amazonaws.com',
          action: 'sns:Publish',
          resource: `ref:${topicId}`,
          keys: fromAlarm,
        })
      ) {
        problems.push(`${alarmId}: the policy of ${topicId} does not let CloudWatch publish`);
      }
      const keyRef = resolve(topic.Properties.KmsMasterKeyId);
      if (keyRef !== undefined) {
        const keyId = String(keyRef)
          .replace(/^getatt:/, '')
          .replace(/\.Arn$/, '')
          .replace(/^ref:/, '');
        const key = byId(keyId);
        const keyStatements =
          (key?.Properties.KeyPolicy as { Statement: PolicyStatement[] } | undefined)?.Statement ?? [];
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          if (
            !isAllowed(keyStatements, {
              service: 'cloudwatch.amazonaws.com',
              action,
              resource: '*',
              keys: fromAlarm,
            })
          ) {
            problems.push(`${alarmId}: the key of ${topicId} does not let CloudWatch ${action}`);
          }
        }
      }
      checked += 1;
    }
  }
  return { alarms: alarms.length, checked, problems };
}

let template: Template;
beforeAll(() => {
  template = templateOf({ alarmEmail: 'oncall@example.com' });
});

describe('alarm delivery', () => {
  it('lets CloudWatch publish every alarm action to its topic, through the topic policy and its KMS key', () => {
    const { alarms, checked, problems } = deliveryProblems(template);
    expect(problems).toEqual([]);
    // Not a pass by matching nothing: 15 alarms (12, and the upload events' 3), each with an ALARM and an OK action.
    expect(alarms).toBe(15);
    expect(checked).toBe(30);
  });

  it('admits only this account’s alarms, and only over TLS', () => {
    const policy = Object.values(template.toJSON().Resources as Record<string, Resource>).find(
      (r) => r.Type === 'AWS::SNS::TopicPolicy',
    );
    if (!policy) throw new Error('the stack has no topic policy');
    const statements = (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement;
    const topicRef = String((resolve(policy.Properties.Topics) as string[])[0]);
    const publish = (keys: Record<string, string>) =>
      isAllowed(statements, {
        service: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: topicRef,
        keys,
      });
    expect(publish(fromAlarm)).toBe(true);
    expect(
      publish({
        ...fromAlarm,
        'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:999999999999:alarm:x',
        'aws:SourceAccount': '999999999999',
      }),
    ).toBe(false);
    expect(publish({ ...fromAlarm, 'aws:SecureTransport': 'false' })).toBe(false);
  });

  it('would catch the defect: a topic policy holding only the TLS deny lets no alarm through', () => {
    const onlyTlsDeny: PolicyStatement[] = [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sns:Publish',
        Resource: 'ref:Topic',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ];
    expect(
      isAllowed(onlyTlsDeny, {
        service: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: 'ref:Topic',
        keys: fromAlarm,
      }),
    ).toBe(false);
  });
});
