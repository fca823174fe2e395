import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';

/** Reads an SQS event fixture from `events/`, by file name without `.json`. */
export function loadEvent(name: string): SQSEvent {
  return JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8')) as SQSEvent;
}

/** The body of the first record of a fixture. */
export function firstBody(name: string): string {
  const record = loadEvent(name).Records[0];
  if (!record) throw new Error(`fixture ${name} has no records`);
  return record.body;
}
