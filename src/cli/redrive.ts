import { Command } from 'commander';
import { parseFilters } from '../tools/dlq-messages.js';
import {
  cancelMoveTask,
  discardMessages,
  listMoveTasks,
  moveMessages,
  peekMessages,
  queueStatuses,
  replayDiscarded,
  startMoveTask,
} from '../tools/dlq-operations.js';
import { formatAge, renderTable } from '../tools/format.js';
import { discardFilePath } from '../tools/private-files.js';
import { progressReporter } from '../tools/progress.js';
import { resolveTarget, type ToolTarget } from '../tools/target.js';
import { ToolError, UsageError } from '../tools/tool-error.js';
import {
  collect,
  positiveInteger,
  positiveNumber,
  printJson,
  type TargetFlags,
  targetOptionsOf,
  withTargetOptions,
} from './support.js';

const FILTER_HELP = `Filters (--filter, repeatable, all must match): bucket=NAME, key-prefix=PREFIX,
event=PREFIX (ObjectCreated, ObjectRemoved), contains=TEXT (raw body), malformed (bodies the worker
cannot read), readable.`;

interface Common extends TargetFlags {
  readonly json?: boolean;
}

/** The local SQS endpoint, which queue statuses show instead of an AWS console link. */
async function localEndpointOf(
  target: ToolTarget,
  sqs: Awaited<ReturnType<typeof resolveTarget>>['clients']['sqs'],
) {
  if (target.kind !== 'local') return undefined;
  const endpoint = await sqs.config.endpoint?.();
  return endpoint && `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
}

/** What redrive says of messages it kept because they name only buckets the stack does not watch. */
function unwatchedNote(count: number, target: ToolTarget, kept = 'stay in the DLQ'): string {
  return (
    `${count} messages name only buckets this stack does not watch (${target.watchedBuckets.join(', ')}) and ${kept}: ` +
    'the worker would ignore them. Peek at them, then discard them with --filter bucket=NAME.'
  );
}

function requireAwsMoveTasks(target: ToolTarget): string {
  if (target.kind !== 'aws' || !target.dlqArn) {
    throw new UsageError(
      'move tasks exist on AWS only (StartMessageMoveTask); the local stack moves messages itself with `redrive start`',
    );
  }
  return target.dlqArn;
}

/** `s3-ingest redrive`: see what failed, and replay it. */
export function redriveCommand(): Command {
  const redrive = new Command('redrive')
    .description('see what failed (the DLQ), and replay it')
    .addHelpText('after', `\n${FILTER_HELP}`);

  withTargetOptions(redrive.command('status'))
    .description('messages visible and in flight on the ingest queue and the DLQ, and the oldest ages')
    .option('--json', 'print JSON')
    .action(async (flags: Common) => {
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const status = await queueStatuses(clients.sqs, target, await localEndpointOf(target, clients.sqs));
      if (flags.json) return printJson(status);
      const rows = [
        { name: 'ingest queue', ...status.ingest },
        { name: 'DLQ', ...status.dlq },
      ];
      console.log(
        renderTable(rows, [
          { header: 'queue', value: (r) => r.name },
          { header: 'visible', value: (r) => r.visible },
          { header: 'in flight', value: (r) => r.inFlight },
          {
            header: 'oldest',
            value: (r) => (r.oldestAgeSeconds === undefined ? '-' : formatAge(r.oldestAgeSeconds)),
          },
          { header: 'url', value: (r) => r.url },
        ]),
      );
    });

  withTargetOptions(redrive.command('peek'))
    .description(
      'DLQ messages summarised (bucket, key, event, receives, first sent, age), held for a moment only',
    )
    .option('--limit <n>', 'most messages to show', positiveInteger, 10)
    .option('--json', 'print every message whole, bodies included')
    .action(async (flags: Common & { limit: number }) => {
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const messages = await peekMessages(clients.sqs, target.dlqUrl, flags.limit);
      if (flags.json) return printJson(messages);
      if (messages.length === 0) return console.log('The DLQ is empty.');
      console.log(
        renderTable(messages, [
          { header: 'message id', value: (m) => m.messageId },
          { header: 'bucket', value: (m) => m.bucket ?? '-' },
          {
            header: 'key',
            value: (m) =>
              m.key === undefined
                ? '-'
                : `${m.key}${(m.keys?.length ?? 0) > 1 ? ` (+${(m.keys?.length ?? 1) - 1} more)` : ''}`,
          },
          { header: 'event', value: (m) => m.event ?? `unreadable: ${m.problem}` },
          { header: 'receives', value: (m) => m.receiveCount },
          { header: 'first sent', value: (m) => m.firstSentAt },
          { header: 'age', value: (m) => (m.ageSeconds === undefined ? '-' : formatAge(m.ageSeconds)) },
        ]),
      );
    });

  withTargetOptions(redrive.command('start'))
    .description(
      'move DLQ messages back to the ingest queue: on AWS without a filter with StartMessageMoveTask; ' +
        'with a filter, or locally, by receive, send, then delete (a crash can only duplicate)',
    )
    .option('--rate <n>', 'most messages per second', positiveNumber)
    .option('--limit <n>', 'most messages to move', positiveInteger)
    .option('--filter <expr>', 'move only matching messages (repeatable)', collect, [])
    .option('--dry-run', 'count what would move, move nothing')
    .option('--json', 'print JSON')
    .action(async (flags: Common & { rate?: number; limit?: number; filter: string[]; dryRun?: boolean }) => {
      const filter = flags.filter.length > 0 ? parseFilters(flags.filter) : undefined;
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const sqs = clients.sqs;
      const useMoveTask = target.kind === 'aws' && !filter && !flags.dryRun && flags.limit === undefined;
      if (useMoveTask && target.dlqArn && target.ingestQueueArn) {
        const handle = await startMoveTask(sqs, {
          sourceArn: target.dlqArn,
          destinationArn: target.ingestQueueArn,
          ...(flags.rate && { rate: flags.rate }),
        });
        const progress = progressReporter('redrive');
        for (;;) {
          const [task] = (await listMoveTasks(sqs, target.dlqArn)).filter((t) => t.taskHandle === handle);
          progress.update(
            `${task?.status ?? 'STARTING'}: moved ${task?.moved ?? 0} of ${task?.toMove ?? '?'}`,
          );
          if (task && task.status !== 'RUNNING') {
            progress.done();
            if (flags.json) return printJson({ method: 'StartMessageMoveTask', taskHandle: handle, ...task });
            return console.log(
              `Move task ${task.status}: ${task.moved} messages moved.${task.failureReason ? ` ${task.failureReason}` : ''}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
      const progress = progressReporter(flags.dryRun ? 'dry run' : 'redrive');
      const result = await moveMessages(sqs, {
        from: target.dlqUrl,
        to: target.ingestQueueUrl,
        ...(filter && { filter }),
        ...(flags.rate && { rate: flags.rate }),
        ...(flags.limit && { limit: flags.limit }),
        dryRun: flags.dryRun ?? false,
        watchedBuckets: target.watchedBuckets,
        onProgress: (p) => progress.update(`moved ${p.moved}, skipped ${p.skipped}, scanned ${p.scanned}`),
      });
      progress.done();
      if (flags.json)
        return printJson({ method: 'receive-send-delete', dryRun: flags.dryRun ?? false, ...result });
      console.log(
        flags.dryRun
          ? `Dry run: ${result.moved} messages would move to the ingest queue (${result.skipped} do not match).`
          : `Moved ${result.moved} messages to the ingest queue (${result.skipped} did not match and stay in the DLQ).`,
      );
      if (result.unwatched > 0) console.log(unwatchedNote(result.unwatched, target));
    });

  withTargetOptions(redrive.command('progress'))
    .description("the DLQ's move tasks (AWS only)")
    .option('--json', 'print JSON')
    .action(async (flags: Common) => {
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const tasks = await listMoveTasks(clients.sqs, requireAwsMoveTasks(target));
      if (flags.json) return printJson(tasks);
      console.log(
        tasks.length === 0
          ? 'No move tasks.'
          : renderTable(tasks, [
              { header: 'status', value: (t) => t.status },
              { header: 'moved', value: (t) => t.moved },
              { header: 'to move', value: (t) => t.toMove },
              { header: 'task handle', value: (t) => t.taskHandle },
            ]),
      );
    });

  withTargetOptions(redrive.command('cancel'))
    .description('cancel a move task (AWS only)')
    .requiredOption('--task <handle>', 'the task handle `progress` prints')
    .option('--json', 'print JSON')
    .action(async (flags: Common & { task: string }) => {
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      requireAwsMoveTasks(target);
      const moved = await cancelMoveTask(clients.sqs, flags.task);
      if (flags.json) return printJson({ cancelled: flags.task, moved });
      console.log(`Cancelled; ${moved} messages had moved.`);
    });

  withTargetOptions(redrive.command('discard'))
    .description(
      'delete messages judged poison, after appending each to an NDJSON file (replay it with `replay`)',
    )
    .requiredOption(
      '--filter <expr>',
      'which messages (repeatable; at least one: discard never deletes everything)',
      collect,
      [],
    )
    .option('--yes', 'confirm: discard deletes messages')
    .option(
      '--out <file>',
      'where to save them, readable by you only (default $LOCAL_STATE_DIR or .local, discarded-<time>.ndjson)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nA message of several records is discarded only when every record matches bucket=, key-prefix= and event=.',
    )
    .action(async (flags: Common & { filter: string[]; yes?: boolean; out?: string }) => {
      const filter = parseFilters(flags.filter, 'every');
      if (!flags.yes)
        throw new UsageError('discard deletes messages: add --yes once you have peeked at them');
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const file = flags.out ?? discardFilePath();
      const progress = progressReporter('discard');
      const result = await discardMessages(clients.sqs, {
        url: target.dlqUrl,
        filter,
        file,
        onProgress: (p) => progress.update(`discarded ${p.moved}, kept ${p.skipped}`),
      });
      progress.done();
      if (flags.json) return printJson({ discarded: result.moved, kept: result.skipped, file });
      console.log(
        `Discarded ${result.moved} messages; each was saved first to ${file}. ${result.skipped} kept.`,
      );
    });

  withTargetOptions(redrive.command('replay'))
    .description('send messages a discard saved back to the ingest queue (after the fix)')
    .requiredOption('--file <ndjson>', 'the file discard wrote')
    .option('--filter <expr>', 'replay only matching messages (repeatable)', collect, [])
    .option('--rate <n>', 'most messages per second', positiveNumber)
    .option('--dry-run', 'count what would be sent, send nothing')
    .option('--json', 'print JSON')
    .action(async (flags: Common & { file: string; filter: string[]; rate?: number; dryRun?: boolean }) => {
      const filter = flags.filter.length > 0 ? parseFilters(flags.filter) : undefined;
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const progress = progressReporter(flags.dryRun ? 'dry run' : 'replay');
      let result: Awaited<ReturnType<typeof replayDiscarded>>;
      try {
        result = await replayDiscarded(clients.sqs, {
          file: flags.file,
          to: target.ingestQueueUrl,
          ...(filter && { filter }),
          ...(flags.rate && { rate: flags.rate }),
          dryRun: flags.dryRun ?? false,
          watchedBuckets: target.watchedBuckets,
          onProgress: (p) => progress.update(`sent ${p.moved}, skipped ${p.skipped}`),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          throw new ToolError(`no such file: ${flags.file}`);
        throw error;
      }
      progress.done();
      if (flags.json)
        return printJson({
          file: flags.file,
          dryRun: flags.dryRun ?? false,
          sent: result.moved,
          skipped: result.skipped,
          unwatched: result.unwatched,
        });
      console.log(
        flags.dryRun
          ? `Dry run: ${result.moved} saved messages would go back to the ingest queue (${result.skipped} do not match).`
          : `Sent ${result.moved} saved messages back to the ingest queue (${result.skipped} did not match).`,
      );
      if (result.unwatched > 0) console.log(unwatchedNote(result.unwatched, target, 'were not sent'));
    });

  return redrive;
}
