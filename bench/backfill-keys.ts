/** The key of the bench's object number `index`: 100 `/` prefixes, so a backfill lists 101 partitions. */
export const benchKey = (index: number): string => `p${String(index % 100).padStart(2, '0')}/${index}.txt`;
