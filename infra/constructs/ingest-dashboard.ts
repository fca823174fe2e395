import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DASHBOARD_GRAPHS, GRAPH_PERIOD_SECONDS, type SeriesSpec } from '../../src/dashboard-definition.js';
import { seriesMetrics } from './series-metrics.js';

/** Props of {@link IngestDashboard}. */
export interface IngestDashboardProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  readonly tables: readonly ITable[];
  readonly alarms: readonly Alarm[];
}

const MINUTE = Duration.minutes(GRAPH_PERIOD_SECONDS / 60);

/** The graphs of {@link DASHBOARD_GRAPHS} (shared with the console) as CloudWatch widgets. */
export class IngestDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: IngestDashboardProps) {
    super(scope, id);
    const metrics = (series: SeriesSpec): IMetric[] =>
      seriesMetrics(series, props, { period: MINUTE, label: series.label }).map(({ metric }) => metric);
    const graphs = DASHBOARD_GRAPHS.map(
      (graph) =>
        new GraphWidget({
          title: graph.title,
          left: graph.left.flatMap(metrics),
          right: graph.right.flatMap(metrics),
          width: 12,
          height: 6,
        }),
    );
    const rows: IWidget[][] = [];
    for (let i = 0; i < graphs.length; i += 2) rows.push(graphs.slice(i, i + 2));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 })],
        ...rows,
      ],
    });
  }
}
