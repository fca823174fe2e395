import type { LocalStack } from '../local/stack.js';
import { targetFromStackFile } from '../tools/target.js';
import { LocalMetrics } from './local-metrics.js';
import type { DashboardOptions } from './metrics-source.js';
import { type RunningConsole, startConsole } from './server.js';

/**
 * The console of a local stack: its tables and queues through the same clients the tools use, its
 * metrics from the worker's own EMF and invocations, changes allowed (it is your own stack).
 *
 * @param port - 0 picks a free one
 */
export async function startLocalConsole(
  stack: LocalStack,
  port: number,
  options: { dashboard?: DashboardOptions; discardDirectory?: string } = {},
): Promise<RunningConsole> {
  const target = targetFromStackFile(stack.description, 'npm start');
  const metrics = new LocalMetrics(
    stack.activity,
    stack.clients.sqs,
    target,
    stack.description.endpoints.sqs,
  );
  try {
    const running = await startConsole(
      {
        target,
        clients: stack.clients,
        metrics,
        allowChanges: true,
        sqsEndpoint: stack.description.endpoints.sqs,
        ...(options.dashboard && { dashboard: options.dashboard }),
        ...(options.discardDirectory && { discardDirectory: options.discardDirectory }),
        workerActivity: () => ({
          runtime: stack.description.settings?.runtime?.mode ?? 'none',
          invocations: stack.poller?.stats.invocations ?? 0,
          'records received': stack.poller?.stats.recordsReceived ?? 0,
          'records failed': stack.poller?.stats.recordsFailed ?? 0,
          'invocation errors': stack.poller?.stats.invocationErrors ?? 0,
          ...(stack.environments && {
            'execution environments': stack.environments.size,
            'environments created': stack.environments.stats.environmentsCreated,
          }),
        }),
      },
      port,
    );
    return {
      ...running,
      close: async () => {
        metrics.stop();
        await running.close();
      },
    };
  } catch (error) {
    metrics.stop();
    throw error;
  }
}
