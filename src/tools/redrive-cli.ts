import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  positiveNumber,
  progressReporter,
  runTool,
  TARGET_ARG_OPTIONS,
  TARGET_HELP,
  targetOptionsOf,
} from './cli-support.js';
import { parseFilters } from './dlq-messages.js';
import {
  cancelMoveTask,
  discardMessages,
  listMoveTasks,
  moveMessages,
  peekMessages,
  queueStatuses,
  startMoveTask,
} from './dlq-operations.js';
import { formatAge, renderTable } from './format.js';
import { resolveTarget } from './target.js';
import { ToolError } from './tool-error.js';

const HELP = `Usage: npm run redrive -- <command> [options]

See what failed, and replay it. Works on the local stack by default, on a deployed stack with
--target aws --stack-name NAME.

Commands:
  status                     messages visible and in flight on the ingest queue and the DLQ, oldest ages
  peek [--limit N]           DLQ messages summarised (bucket, key, event, receives, first sent, age);
                             held for a moment only. --json prints whole bodies. (default limit 10)
  start [--rate N] [--dry-run] [--filter EXPR]... [--limit N]
                             move DLQ messages back to the ingest queue. On AWS without a filter it
                             uses SQS's StartMessageMoveTask and shows its progress; with a filter, or
                             where that API is missing (the local stack), it moves them itself:
                             receive, send, then delete, so a crash can only duplicate, never lose.
  progress                   the DLQ's move tasks on AWS (StartMessageMoveTask)
  cancel --task HANDLE       cancel a move task on AWS
  discard --filter EXPR... --yes [--out FILE]
                             delete messages judged poison, after appending each to an NDJSON file
                             (default .local/discarded-<time>.ndjson) and saying where

Filters (all must match): bucket=NAME, key-prefix=PREFIX, event=PREFIX (ObjectCreated, ObjectRemoved),
contains=TEXT (raw body), malformed (bodies the worker cannot read), readable.

${TARGET_HELP}`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ...TARGET_ARG_OPTIONS,
      limit: { type: 'string' },
      rate: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      filter: { type: 'string', multiple: true },
      task: { type: 'string' },
      yes: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return;
  }
  const { target, clients } = await resolveTarget(targetOptionsOf(values));
  const sqs = clients.sqs;
  const json = values.json;
  const limit = positiveNumber(values.limit, '--limit');
  const rate = positiveNumber(values.rate, '--rate');
  const filters = values.filter ?? [];
  const localEndpoint =
    target.kind === 'local'
      ? await sqs.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`)
      : undefined;

  switch (command) {
    case 'status': {
      const status = await queueStatuses(sqs, target, localEndpoint);
      if (json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
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
      return;
    }
    case 'peek': {
      const messages = await peekMessages(sqs, target.dlqUrl, limit ?? 10);
      if (json) {
        console.log(JSON.stringify(messages, null, 2));
        return;
      }
      if (messages.length === 0) {
        console.log('The DLQ is empty.');
        return;
      }
      console.log(
        renderTable(messages, [
          { header: 'message id', value: (m) => m.messageId },
          { header: 'bucket', value: (m) => m.bucket ?? '-' },
          { header: 'key', value: (m) => m.key ?? '-' },
          { header: 'event', value: (m) => m.event ?? `unreadable: ${m.problem}` },
          { header: 'receives', value: (m) => m.receiveCount },
          { header: 'first sent', value: (m) => m.firstSentAt },
          { header: 'age', value: (m) => (m.ageSeconds === undefined ? '-' : formatAge(m.ageSeconds)) },
        ]),
      );
      return;
    }
    case 'start': {
      const useMoveTask =
        target.kind === 'aws' && filters.length === 0 && !values['dry-run'] && limit === undefined;
      if (useMoveTask && target.dlqArn && target.ingestQueueArn) {
        const handle = await startMoveTask(sqs, {
          sourceArn: target.dlqArn,
          destinationArn: target.ingestQueueArn,
          ...(rate && { rate }),
        });
        const progress = progressReporter('redrive');
        for (;;) {
          const [task] = (await listMoveTasks(sqs, target.dlqArn)).filter((t) => t.taskHandle === handle);
          progress.update(
            `${task?.status ?? 'STARTING'}: moved ${task?.moved ?? 0} of ${task?.toMove ?? '?'}`,
          );
          if (task && task.status !== 'RUNNING') {
            progress.done();
            if (json)
              console.log(JSON.stringify({ method: 'StartMessageMoveTask', taskHandle: handle, ...task }));
            else
              console.log(
                `Move task ${task.status}: ${task.moved} messages moved.${task.failureReason ? ` ${task.failureReason}` : ''}`,
              );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
      const progress = progressReporter(values['dry-run'] ? 'dry run' : 'redrive');
      const result = await moveMessages(sqs, {
        from: target.dlqUrl,
        to: target.ingestQueueUrl,
        ...(filters.length > 0 && { filter: parseFilters(filters) }),
        ...(rate && { rate }),
        ...(limit && { limit }),
        dryRun: values['dry-run'],
        onProgress: (p) => progress.update(`moved ${p.moved}, skipped ${p.skipped}, scanned ${p.scanned}`),
      });
      progress.done();
      if (json)
        console.log(JSON.stringify({ method: 'receive-send-delete', dryRun: values['dry-run'], ...result }));
      else
        console.log(
          values['dry-run']
            ? `Dry run: ${result.moved} messages would move to the ingest queue (${result.skipped} do not match).`
            : `Moved ${result.moved} messages to the ingest queue (${result.skipped} did not match and stay in the DLQ).`,
        );
      return;
    }
    case 'progress': {
      if (!target.dlqArn)
        throw new ToolError('move tasks exist on AWS only (--target aws --stack-name NAME)');
      const tasks = await listMoveTasks(sqs, target.dlqArn);
      if (json) console.log(JSON.stringify(tasks, null, 2));
      else
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
      return;
    }
    case 'cancel': {
      if (!values.task) throw new ToolError('cancel needs --task HANDLE (see `progress`)');
      const moved = await cancelMoveTask(sqs, values.task);
      console.log(
        json ? JSON.stringify({ cancelled: values.task, moved }) : `Cancelled; ${moved} messages had moved.`,
      );
      return;
    }
    case 'discard': {
      if (filters.length === 0)
        throw new ToolError('discard needs at least one --filter: it never deletes everything');
      if (!values.yes)
        throw new ToolError('discard deletes messages: add --yes once you have peeked at them');
      const file = values.out ?? `.local/discarded-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`;
      await mkdir(dirname(file), { recursive: true });
      const progress = progressReporter('discard');
      const result = await discardMessages(sqs, {
        url: target.dlqUrl,
        filter: parseFilters(filters),
        file,
        onProgress: (p) => progress.update(`discarded ${p.moved}, kept ${p.skipped}`),
      });
      progress.done();
      if (json) console.log(JSON.stringify({ discarded: result.moved, kept: result.skipped, file }));
      else
        console.log(
          `Discarded ${result.moved} messages; each was saved first to ${file}. ${result.skipped} kept.`,
        );
      return;
    }
    default:
      throw new ToolError(`unknown command "${command}"; see --help`);
  }
}

runTool(main);
