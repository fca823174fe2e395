// EventBridge's event pattern matching, for the patterns s3-ingest's rules use: a pattern's fields
// must all match; a list of values matches when one does; a value is an exact string, number,
// boolean or null, or a content filter (`prefix`, `anything-but`, `exists`). An event field that
// is a list matches when one of its elements does. Other content filters never match here.

type Json = unknown;

const isObject = (value: Json): value is Record<string, Json> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function matchesValue(condition: Json, value: Json, present: boolean): boolean {
  if (!isObject(condition)) return present && !isObject(value) && condition === value;
  if ('exists' in condition) return condition.exists === present;
  if (!present) return false;
  if ('prefix' in condition)
    return (
      typeof value === 'string' && typeof condition.prefix === 'string' && value.startsWith(condition.prefix)
    );
  if ('anything-but' in condition) {
    const excluded = Array.isArray(condition['anything-but'])
      ? condition['anything-but']
      : [condition['anything-but']];
    return !isObject(value) && !excluded.includes(value);
  }
  return false;
}

function matchesField(conditions: Json, value: Json, present: boolean): boolean {
  if (isObject(conditions)) return present && isObject(value) && matchesEventPattern(conditions, value);
  if (!Array.isArray(conditions)) return false;
  const values = Array.isArray(value) ? value : [value];
  return conditions.some((condition) =>
    values.length === 0
      ? matchesValue(condition, undefined, false)
      : values.some((one) => matchesValue(condition, one, present)),
  );
}

/** Whether `event` matches the EventBridge `pattern` (see the module comment for what is supported). */
export function matchesEventPattern(
  pattern: Readonly<Record<string, Json>>,
  event: Readonly<Record<string, Json>>,
): boolean {
  return Object.entries(pattern).every(([field, conditions]) =>
    matchesField(conditions, event[field], Object.hasOwn(event, field) && event[field] !== undefined),
  );
}
