import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { difference, dynamoDbWrites } from './aws-call-counter.js';
import { drained, drive } from './drive.js';
import type { FaultInjector } from './fault-injector.js';
import type { LoadTestOptions, Progress } from './report-types.js';
import { round } from './stats.js';
import type { LoadTarget } from './targets.js';
import { planWorkload } from './workload.js';

/**
 * DynamoDB writes of one new object and of one duplicate, measured apart from the main run: fresh
 * objects without faults, then one exact duplicate of each.
 */
export async function measureWritesPerEvent(
  target: LoadTarget,
  injector: FaultInjector,
  runId: string,
  options: LoadTestOptions,
  onProgress: (progress: Progress) => void,
): Promise<{ perNew: number; perDuplicate: number } | undefined> {
  const count = Math.min(50, Math.max(options.objects, 1));
  const fresh = planWorkload({
    objects: count,
    duplicateRate: 0,
    lateRate: 0,
    poisonRate: 0,
    keyPrefix: `loadtest/${runId}/writes/`,
    seed: options.seed,
  });
  onProgress({ phase: 'measure writes', done: 0, total: count * 2 });
  const calls = target.calls;
  if (!calls) return undefined;
  const before = calls.snapshot();
  const pass = await drive(target, injector, fresh, runId, { ...options, rate: undefined }, () => undefined);
  const afterNew = calls.snapshot();
  for (const object of fresh.objects) {
    const body = injector.lastBody.get(object.key);
    if (body)
      await target.sqs.send(new SendMessageCommand({ QueueUrl: target.ingestQueueUrl, MessageBody: body }));
  }
  await drained(target, options.drainTimeoutMs, () => undefined);
  const afterDuplicates = calls.snapshot();
  const uploaded = [...pass.uploaded.values()].flat().length;
  return {
    perNew: round(dynamoDbWrites(difference(afterNew, before)) / uploaded, 3),
    perDuplicate: round(dynamoDbWrites(difference(afterDuplicates, afterNew)) / count, 3),
  };
}
