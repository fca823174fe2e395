import type { ListObjectsV2CommandInput, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';

/** A ListObjectsV2 answer's fields as the SDK gives them, or undefined for one the SDK must read (see list-objects-v2.js). */
export function readListObjectsV2(xml: string): Omit<ListObjectsV2CommandOutput, '$metadata'> | undefined;

/** ListObjectsV2 sent by the SDK, its answer read by {@link readListObjectsV2} where it can. */
export function listObjectsV2(
  s3: S3Client,
  input: ListObjectsV2CommandInput,
): Promise<ListObjectsV2CommandOutput>;
