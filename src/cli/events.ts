import { Command } from 'commander';
import type { UploadEvent } from '../core/upload-events.js';
import {
  EVENT_FILTER_ATTRIBUTES,
  missingUploadEvents,
  parseEventFilters,
  snsClientFor,
  tailUploadEvents,
} from '../tools/event-tail.js';
import { printable, terminalSafeJson } from '../tools/format.js';
import { resolveTarget } from '../tools/target.js';
import { ToolError } from '../tools/tool-error.js';
import { collect, type TargetFlags, targetOptionsOf, withTargetOptions } from './support.js';

interface TailFlags extends TargetFlags {
  readonly filter?: string[];
  readonly json?: boolean;
}

/** One event as one line: every field an uploader controls escaped. */
export function eventLine(event: UploadEvent): string {
  const fields = [
    event.time,
    event.type,
    event.status,
    `s3://${event.bucket}/${event.key}`,
    ...(event.reason ? [event.reason] : []),
  ];
  return fields.map((field) => printable(field)).join('  ');
}

/** `s3-ingest events`: the upload events feed. */
export function eventsCommand(): Command {
  const tail = withTargetOptions(new Command('tail'))
    .description(
      'print upload events as they are published, until interrupted: subscribes a temporary queue to the ' +
        "stack's upload events topic and removes it on exit (docs/events.md)",
    )
    .option(
      '--filter <name=value>',
      `only events whose attribute has one of the values (${EVENT_FILTER_ATTRIBUTES.join(', ')}); repeatable, all must match`,
      collect,
    )
    .option('--json', 'one JSON event per line')
    .action(async (flags: TailFlags) => {
      const filterPolicy = parseEventFilters(flags.filter ?? []);
      const { target, clients } = await resolveTarget(targetOptionsOf(flags));
      const missing = missingUploadEvents(target);
      if (missing || !target.uploadEventsTopic) throw new ToolError(missing ?? 'no upload events topic');
      const sns = snsClientFor(target);
      const stop = new AbortController();
      const interrupt = () => stop.abort();
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      try {
        await tailUploadEvents({
          sqs: clients.sqs,
          sns,
          topicArn: target.uploadEventsTopic,
          filterPolicy,
          signal: stop.signal,
          onReady: () =>
            process.stderr.write(
              `listening to ${printable(target.uploadEventsTopic ?? '')} (Ctrl-C stops)\n`,
            ),
          onEvent: (event) =>
            process.stdout.write(`${flags.json ? terminalSafeJson(event) : eventLine(event)}\n`),
        });
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
        sns.destroy();
      }
    });
  return new Command('events').description('the upload events feed (docs/events.md)').addCommand(tail);
}
