import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RuntimeMode } from '../src/local/stack.js';
import { drive } from './drive.js';
import { FaultInjector } from './fault-injector.js';
import type { LoadTestOptions, LoadTestReport, Progress } from './report-types.js';
import { round } from './stats.js';
import { embeddedTarget } from './targets.js';
import type { Workload } from './workload.js';

/** The runtime a run is compared with. */
export const otherRuntime = (mode: RuntimeMode): RuntimeMode => (mode === 'bundle' ? 'source' : 'bundle');

/**
 * The same workload through the other worker runtime, on its own fresh embedded stack, measured as
 * the main run is: objects over the seconds from the first upload to the moment the last object's
 * newest content was first recorded.
 */
export async function compareRuntime(
  workload: Workload,
  runId: string,
  options: LoadTestOptions,
  mainThroughputPerSec: number,
  onProgress: (progress: Progress) => void,
): Promise<NonNullable<LoadTestReport['runtimeComparison']>> {
  const mode = otherRuntime(options.runtime);
  const injector = new FaultInjector(workload);
  const target = await embeddedTarget(injector, { ...options, runtime: mode });
  try {
    const pass = await drive(target, injector, workload, `${runId}c`, options, (p) =>
      onProgress({ ...p, phase: `${mode} runtime ${p.phase}` }),
    );
    const documents = DynamoDBDocumentClient.from(target.dynamodb);
    const newest = new Map<string, number>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({ TableName: target.uploadLogTable, ...(start && { ExclusiveStartKey: start }) }),
      );
      for (const item of page.Items ?? []) {
        const key = String(item.key);
        if (item.sk === 'STATE' || pass.uploaded.get(key)?.at(-1)?.eTag !== item.eTag) continue;
        newest.set(
          key,
          Math.min(newest.get(key) ?? Number.POSITIVE_INFINITY, Date.parse(String(item.processedAt))),
        );
      }
      start = page.LastEvaluatedKey;
    } while (start);
    const lastRowMs = Math.max(pass.startedMs + 1, ...newest.values());
    const ingestSeconds = (lastRowMs - pass.startedMs) / 1000;
    const throughputPerSec = round(workload.objects.length / ingestSeconds);
    return {
      mode,
      throughputPerSec,
      ingestSeconds: round(ingestSeconds),
      objectsRecorded: newest.size,
      // The main run's throughput over this one's.
      ratio: round(mainThroughputPerSec / throughputPerSec, 2),
    };
  } finally {
    await target.close();
  }
}
