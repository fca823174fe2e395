import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Command } from 'commander';
import { CloudWatchMetrics } from '../console/aws-metrics.js';
import { startConsole } from '../console/server.js';
import { DEFAULT_STACK_FILE, readStackFile, resolveTarget } from '../tools/target.js';
import { ToolError, UsageError } from '../tools/tool-error.js';
import { type TargetFlags, targetOptionsOf, withTargetOptions } from './support.js';

interface ConsoleFlags extends TargetFlags {
  readonly port: string;
  readonly allowChanges?: boolean;
}

/**
 * `s3-ingest console`: the web console of a deployed stack, served on 127.0.0.1 with the caller's
 * AWS credentials (read-only unless --allow-changes). A local stack's console is served by
 * `npm start` itself; for one, this prints where.
 */
export function consoleCommand(): Command {
  return withTargetOptions(new Command('console'))
    .summary("the web console: uploads, the DLQ, the dashboard, the queues' status")
    .description(
      "serve the web console of a deployed stack on 127.0.0.1 with your AWS credentials (read-only unless --allow-changes); a local stack's console is served by `npm start` (this prints its URL)",
    )
    .option('--port <n>', 'port on 127.0.0.1; 0 picks a free one', '4581')
    .option('--allow-changes', 'let the console redrive and discard DLQ messages (a deployed stack)')
    .addHelpText(
      'after',
      '\nOn AWS it reads DynamoDB (Query), SQS (ReceiveMessage to peek, GetQueueAttributes), CloudWatch\n' +
        '(GetMetricData, DescribeAlarms) and CloudFormation (DescribeStacks); with --allow-changes also\n' +
        'SQS SendMessage and DeleteMessage. Ctrl-C stops it.',
    )
    .action(async (flags: ConsoleFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw new UsageError(`--port must be a port number (0 picks a free one), got "${flags.port}"`);
      const options = targetOptionsOf(flags);
      if ((options.target ?? 'local') === 'local') {
        const path = options.stackFile ?? DEFAULT_STACK_FILE;
        const url = (await readStackFile(path)).endpoints.console;
        if (!url)
          throw new ToolError(`the local stack of ${path} serves no console: restart it with npm start`);
        console.log(`npm start serves this stack's console: ${url}`);
        return;
      }
      const { target, clients } = await resolveTarget(options);
      const cloudWatch = new CloudWatchClient({ region: target.region });
      const running = await startConsole(
        {
          target,
          clients,
          metrics: new CloudWatchMetrics(cloudWatch, target),
          allowChanges: flags.allowChanges ?? false,
        },
        port,
      );
      console.log(
        `Console of ${target.label} (${target.region}): ${running.operatorUrl}${flags.allowChanges ? '' : '  (read-only)'}\nCtrl-C stops it.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await running.close();
      cloudWatch.destroy();
    });
}
