import type { AlarmSpec } from '../dashboard-definition.js';

/** An alarm's state, as CloudWatch names them. */
export type AlarmState = 'OK' | 'ALARM';

/** One alarm, evaluated. */
export interface EvaluatedAlarm {
  readonly name: string;
  readonly state: AlarmState;
  /** The statistic over the last period; absent when there was no data. */
  readonly value?: number;
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly description: string;
}

/**
 * Evaluates an alarm as the stack's does: the statistic of its series over the last period
 * against its threshold (`>=`, one period), missing data not breaching.
 *
 * @param value - the statistic over the last period, undefined when there was no data
 */
export function evaluateAlarm(spec: AlarmSpec, value: number | undefined): EvaluatedAlarm {
  return {
    name: spec.name,
    state: value !== undefined && value >= spec.threshold ? 'ALARM' : 'OK',
    ...(value !== undefined && { value }),
    threshold: spec.threshold,
    periodSeconds: spec.periodSeconds,
    description: spec.description,
  };
}
