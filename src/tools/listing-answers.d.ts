import type {
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  ListObjectVersionsCommandInput,
  ListObjectVersionsCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';

/** A listing answer's fields as the SDK gives them, or undefined for one the SDK must read (see listing-answers.js). */
export function readListingAnswer(
  operation: 'ListObjectsV2',
  xml: string,
): Omit<ListObjectsV2CommandOutput, '$metadata'> | undefined;
export function readListingAnswer(
  operation: 'ListObjectVersions',
  xml: string,
): Omit<ListObjectVersionsCommandOutput, '$metadata'> | undefined;

/** ListObjectsV2 sent by the SDK, its answer read by {@link readListingAnswer} where it can be. */
export function listObjectsV2(
  s3: S3Client,
  input: ListObjectsV2CommandInput,
): Promise<ListObjectsV2CommandOutput>;

/** ListObjectVersions sent by the SDK, its answer read by {@link readListingAnswer} where it can be. */
export function listObjectVersions(
  s3: S3Client,
  input: ListObjectVersionsCommandInput,
): Promise<ListObjectVersionsCommandOutput>;
