import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MetricName } from '../../src/metric-names.js';
import { workerMetric } from './ingest-alarms.js';

/** Props of {@link IngestDashboard}. */
export interface IngestDashboardProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  readonly tables: readonly ITable[];
  readonly alarms: readonly Alarm[];
}

const MINUTE = Duration.minutes(1);

/** One dashboard with the whole pipeline: ingest rate, latency, queues, worker, DynamoDB, alarms. */
export class IngestDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: IngestDashboardProps) {
    super(scope, id);
    const perMinute = (name: string) => workerMetric(name).with({ period: MINUTE, label: name });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 12, height: 6 });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 })],
        [
          graph(
            'Ingest rate (per minute)',
            [
              MetricName.ObjectsIngested,
              MetricName.DuplicatesSkipped,
              MetricName.ObjectsRejected,
              MetricName.RecordsFailed,
            ].map(perMinute),
            [
              MetricName.ObjectsGone,
              MetricName.ObjectsRemoved,
              MetricName.StaleEventsIgnored,
              MetricName.CopiesSkipped,
            ].map(perMinute),
          ),
          graph('Ingest latency (ms)', [
            workerMetric(MetricName.IngestLatency, 'p50').with({ period: MINUTE, label: 'p50' }),
            workerMetric(MetricName.IngestLatency, 'p99').with({ period: MINUTE, label: 'p99' }),
          ]),
        ],
        [
          graph(
            'Ingest queue',
            [props.queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, label: 'visible' })],
            [props.queue.metricApproximateAgeOfOldestMessage({ period: MINUTE, label: 'oldest age (s)' })],
          ),
          graph('DLQ depth', [
            props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              period: MINUTE,
              label: 'DLQ visible',
            }),
          ]),
        ],
        [
          graph(
            'Worker',
            [
              props.worker.metricDuration({ period: MINUTE, statistic: 'p99', label: 'duration p99 (ms)' }),
              props.worker.metricDuration({
                period: MINUTE,
                statistic: 'Average',
                label: 'duration avg (ms)',
              }),
            ],
            [
              props.worker.metricErrors({ period: MINUTE, label: 'errors' }),
              props.worker.metricThrottles({ period: MINUTE, label: 'throttles' }),
              props.worker.metric('ConcurrentExecutions', {
                period: MINUTE,
                statistic: 'Maximum',
                label: 'concurrency',
              }),
            ],
          ),
          graph(
            'DynamoDB writes',
            props.tables.map((table) =>
              table.metricConsumedWriteCapacityUnits({ period: MINUTE, label: `${table.node.id} WCU` }),
            ),
            props.tables.map((table) =>
              table.metric('WriteThrottleEvents', {
                period: MINUTE,
                statistic: 'Sum',
                label: `${table.node.id} throttled`,
              }),
            ),
          ),
        ],
      ],
    });
  }
}
