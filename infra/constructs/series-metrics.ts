import { Duration } from 'aws-cdk-lib';
import { type IMetric, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { SeriesSpec } from '../../src/dashboard-definition.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../src/metric-names.js';

/** The stack's resources a series of the shared definition can come from. */
export interface SeriesResources {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  readonly tables: readonly ITable[];
}

/** One of the worker's EMF metrics. */
export function workerMetric(name: string, statistic = 'Sum'): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period: Duration.minutes(5),
  });
}

/**
 * The CloudWatch metrics of one series of the shared definition (`src/dashboard-definition.ts`):
 * one, or one per table for a table series (`table` names it).
 */
export function seriesMetrics(
  series: Omit<SeriesSpec, 'label'>,
  resources: SeriesResources,
  options: { period: Duration; label?: string },
): { metric: IMetric; table?: string }[] {
  const props = { ...options, statistic: series.statistic };
  switch (series.source) {
    case 'worker':
      return [{ metric: workerMetric(series.metric, series.statistic).with(options) }];
    case 'queue':
      return [{ metric: resources.queue.metric(series.metric, props) }];
    case 'dlq':
      return [{ metric: resources.deadLetterQueue.metric(series.metric, props) }];
    case 'function':
      return [{ metric: resources.worker.metric(series.metric, props) }];
    case 'table':
      return resources.tables.map((table) => ({
        metric: table.metric(series.metric, {
          ...props,
          ...(options.label !== undefined && { label: `${table.node.id} ${options.label}` }),
        }),
        table: table.node.id,
      }));
  }
}
