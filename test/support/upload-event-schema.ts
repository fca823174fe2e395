import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import formatsPlugin from 'ajv-formats';

// The public schema of the upload events (schemas/upload-event-v1.schema.json), compiled once with
// ajv for every test that checks an event against it.

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((formatsPlugin as unknown as { default?: FormatsPlugin }).default ??
  formatsPlugin) as unknown as FormatsPlugin;

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(readFileSync(new URL('../../schemas/upload-event-v1.schema.json', import.meta.url), 'utf8')),
);

/** What the schema finds wrong with `event`, one line each; empty when it is a valid event. */
export function schemaErrors(event: unknown): string[] {
  return validate(event)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}
