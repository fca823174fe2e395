import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { drive } from './drive.js';
import { FaultInjector } from './fault-injector.js';
import { NAIVE_SK, naiveHandler } from './naive-handler.js';
import type { LoadTestOptions, LoadTestReport, Progress } from './report-types.js';
import { percentiles, perSecond, round } from './stats.js';
import { embeddedTarget } from './targets.js';
import type { Workload } from './workload.js';

/** The same workload through the naive one-put-per-event handler, on its own fresh embedded stack. */
export async function runBaseline(
  workload: Workload,
  runId: string,
  options: LoadTestOptions,
  onProgress: (progress: Progress) => void,
): Promise<NonNullable<LoadTestReport['baseline']>> {
  const injector = new FaultInjector(workload);
  const target = await embeddedTarget(injector, {
    ...options,
    handler: (clients, config) => naiveHandler(clients.dynamodb, config.uploadLogTable),
  });
  try {
    const pass = await drive(target, injector, workload, runId, options, (p) =>
      onProgress({ ...p, phase: `baseline ${p.phase}` }),
    );
    const documents = DynamoDBDocumentClient.from(target.dynamodb);
    const versions = new Map<string, number>();
    // Measured as the main run is: to the moment each object's newest content was first recorded.
    // A later row for the same content (a delayed duplicate the naive handler writes again) is the
    // baseline's flaw, not its throughput.
    const firstNewestRow = new Map<string, number>();
    const latencies: number[] = [];
    const firstRows: number[] = [];
    let rows = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({ TableName: target.uploadLogTable, ...(start && { ExclusiveStartKey: start }) }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk !== NAIVE_SK) continue;
        rows += 1;
        const key = String(item.key);
        const at = Date.parse(String(item.processedAt));
        if (pass.uploaded.get(key)?.at(-1)?.eTag === item.eTag) {
          firstNewestRow.set(key, Math.min(firstNewestRow.get(key) ?? Number.POSITIVE_INFINITY, at));
        }
        const version = `${key}#${item.eTag}`;
        const count = (versions.get(version) ?? 0) + 1;
        versions.set(version, count);
        firstRows.push(at);
        if (typeof item.ingestLatencyMs === 'number') latencies.push(item.ingestLatencyMs);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    const duplicateRows = [...versions.values()].reduce((sum, n) => sum + n - 1, 0);
    const lastRowMs = Math.max(pass.startedMs + 1, ...firstNewestRow.values());
    const ingestSeconds = round((lastRowMs - pass.startedMs) / 1000);
    return {
      throughputPerSec: round(workload.objects.length / ((lastRowMs - pass.startedMs) / 1000)),
      ingestSeconds,
      duplicateRows,
      rows,
      throughputSeries: perSecond(firstRows, pass.startedMs),
      ...(latencies.length > 0 && { latencyMs: percentiles(latencies) }),
    };
  } finally {
    await target.close();
  }
}
