import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type AlarmThresholds, alarmSpecs } from '../../src/dashboard-definition.js';
import { seriesMetrics } from './series-metrics.js';

export type { AlarmThresholds } from '../../src/dashboard-definition.js';

/**
 * An alarm at or above `threshold` for one period, missing data not breaching, that notifies
 * `topic` when it goes to ALARM and back to OK: the shape of every s3-ingest alarm.
 */
export function notifyingAlarm(
  scope: Construct,
  id: string,
  options: { metric: IMetric; threshold: number; description: string; topic: ITopic },
): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription: options.description,
    metric: options.metric,
    threshold: options.threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new SnsAction(options.topic));
  alarm.addOkAction(new SnsAction(options.topic));
  return alarm;
}

/** Props of {@link IngestAlarms}. */
export interface IngestAlarmsProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  readonly tables: readonly ITable[];
  readonly thresholds?: AlarmThresholds;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  /**
   * A topic of the user's to send every alarm to. Its policy (and its key's, when encrypted) must
   * let `cloudwatch.amazonaws.com` publish: an imported topic's policy is not changed here.
   * @default a topic of its own, KMS-encrypted, SSL only
   */
  readonly topic?: ITopic;
}

export { workerMetric } from './series-metrics.js';

/**
 * Every alarm on-call needs, all sending to one SNS topic (encrypted with a key CloudWatch may
 * use, SSL only), with an optional email subscription.
 */
export class IngestAlarms extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: IngestAlarmsProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    this.topic = props.topic ?? this.createTopic();
    if (props.alarmEmail) {
      const subscription = new Subscription(this, 'EmailSubscription', {
        topic: this.topic,
        protocol: SubscriptionProtocol.EMAIL,
        endpoint: props.alarmEmail,
      });
      Validations.of(subscription).acknowledge({
        id: 'Serverless::Serverless-SNSRedrivePolicy',
        reason:
          'An email subscription is a convenience channel: SNS retries delivery, and every alarm state stays in ' +
          'CloudWatch and on the dashboard, so a message-level DLQ for emails would hold nothing on-call needs.',
      });
    }

    const add = (name: string, metric: IMetric, threshold: number, description: string) => {
      this.alarms.push(notifyingAlarm(this, name, { metric, threshold, description, topic: this.topic }));
    };
    // The alarms of the shared definition (the console evaluates the same ones); a table alarm is one per table.
    for (const spec of alarmSpecs(t)) {
      for (const { metric, table } of seriesMetrics(spec.series, props, {
        period: Duration.seconds(spec.periodSeconds),
      })) {
        add(
          table ? `${spec.name}${table}` : spec.name,
          metric,
          spec.threshold,
          table ? spec.description.replace('the table', `the ${table} table`) : spec.description,
        );
      }
    }
  }

  /** The alarm topic: encrypted with a key CloudWatch may use, publishable by this account's alarms only. */
  private createTopic(): Topic {
    const key = new Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: 's3-ingest alarm topic',
    });
    // CloudWatch publishes encrypted messages only with a key whose policy lets it.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true });
    // The topic's own policy replaces SNS's default one, which held the only grant to the account:
    // without this statement every alarm changes state and notifies nobody ("not authorized to
    // perform: SNS:Publish ... because no resource-based policy allows"). Only this account's alarms.
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    return topic;
  }
}
