import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/stack-context.js';

describe('stackPropsFromContext', () => {
  it('leaves every prop to the stack default when no context is given', () => {
    expect(stackPropsFromContext(() => undefined)).toEqual({ stackName: 's3-ingest', props: {} });
  });

  it('reads strings from -c and lists or numbers from cdk.json', () => {
    const context: Record<string, unknown> = {
      stackName: 'uploads-prod',
      existingBuckets: 'a, b',
      eventBridgeBuckets: 'shared-bucket',
      ingestBucketEvents: 'eventbridge',
      blockedExtensions: ['exe', 'bat'],
      copyDestination: 'true',
      maxReceiveCount: 3,
      workerTimeoutSeconds: '45',
      oldestMessageAgeSeconds: '120',
    };
    const { stackName, props } = stackPropsFromContext((key) => context[key]);
    expect(stackName).toBe('uploads-prod');
    expect(props).toMatchObject({
      existingBucketNames: ['a', 'b'],
      eventBridgeBucketNames: ['shared-bucket'],
      ownBucketSource: 'eventbridge',
      blockedExtensions: ['exe', 'bat'],
      copyDestination: true,
      maxReceiveCount: 3,
      alarmThresholds: { oldestMessageAgeSeconds: 120 },
    });
    expect(props.workerTimeout?.toSeconds()).toBe(45);
  });

  it('names the key of a value it cannot use', () => {
    expect(() => stackPropsFromContext((key) => (key === 'batchSize' ? 'ten' : undefined))).toThrow(
      'context batchSize',
    );
    expect(() => stackPropsFromContext((key) => (key === 'ingestBucketEvents' ? 'sns' : undefined))).toThrow(
      'context ingestBucketEvents must be notifications or eventbridge, got "sns"',
    );
  });
});
