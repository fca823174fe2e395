import { readFile } from 'node:fs/promises';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore } from '../adapters/object-store.js';
import type { UploadLog } from '../adapters/upload-log.js';
import { loadConfig, type WorkerConfig } from '../config.js';
import { idempotencyKeyOf, objectPk, type UploadRow, uploadSk } from '../core/log-items.js';
import type { CreatedObjectEvent } from '../core/types.js';
import { IDEMPOTENCY_KEY_PREFIX } from '../worker/create-handler.js';
import { ingestObject } from '../worker/ingest-object.js';
import { BACKFILL_SEQUENCER } from './backfill.js';
import { parseExportedCsv } from './format.js';
import type { ToolTarget } from './target.js';
import { ToolError, UsageError } from './tool-error.js';
import { parseS3Uri } from './upload-queries.js';

/** One object (or version) to reprocess. */
export interface ReprocessRequest {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** What reprocessing one object did (or, in a dry run, would do). */
export interface ReprocessResult {
  readonly object: string;
  readonly versionId?: string;
  readonly eTag?: string;
  /**
   * `replaced`: the row was recorded differently and now holds the new result (with an audit
   * trail); `written`: there was no row; `unchanged`: the row already says what reprocessing
   * finds; `not-found`: no such object or version to reprocess.
   */
  readonly action: 'replaced' | 'written' | 'unchanged' | 'not-found';
  readonly dryRun: boolean;
  readonly previous?: { readonly status?: string; readonly reason?: string };
  readonly now?: { readonly status: string; readonly reason?: string; readonly copiedTo?: string };
}

/** What reprocessing needs. */
export interface ReprocessDependencies {
  readonly objects: ObjectStore;
  readonly dynamodb: DynamoDBClient;
  readonly config: WorkerConfig;
  readonly dryRun: boolean;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * Re-runs the worker's idempotent step for one object's current (or given) version, past its
 * idempotency record: HeadObject, validation, the copy, and the upload row. A row recorded
 * differently (a `GONE` written during an outage, a rule since fixed) is replaced, keeping
 * `reprocessedAt`, `previousStatus` and `previousReason` on it; its idempotency record is
 * deleted so a later duplicate runs the step again instead of answering with the old result.
 * The row's event facts (time, sequencer, uploader) are kept from the original row when there is one.
 */
export function createReprocessor(
  deps: ReprocessDependencies,
): (request: ReprocessRequest) => Promise<ReprocessResult> {
  // Built once per run, not per object.
  const documents = DynamoDBDocumentClient.from(deps.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const persistence = new DynamoDBPersistenceLayer({
    tableName: deps.config.idempotencyTable,
    awsSdkV3Client: deps.dynamodb,
  });
  persistence.configure({ config: new IdempotencyConfig({}), keyPrefix: IDEMPOTENCY_KEY_PREFIX });
  return (request) => reprocessObject(request, deps, documents, persistence);
}

async function reprocessObject(
  request: ReprocessRequest,
  deps: ReprocessDependencies,
  documents: DynamoDBDocumentClient,
  persistence: DynamoDBPersistenceLayer,
): Promise<ReprocessResult> {
  const now = deps.now ?? Date.now;
  const object = `s3://${request.bucket}/${request.key}`;
  const head = await deps.objects.head(request);
  if (!head?.eTag)
    return {
      object,
      ...(request.versionId && { versionId: request.versionId }),
      action: 'not-found',
      dryRun: deps.dryRun,
    };
  const versionId = request.versionId ?? head.versionId;
  const key = { pk: objectPk(request.bucket, request.key), sk: uploadSk(head.eTag, versionId) };
  const { Item: existing } = await documents.send(
    new GetCommand({ TableName: deps.config.uploadLogTable, Key: key, ConsistentRead: true }),
  );
  const text = (name: string) =>
    typeof existing?.[name] === 'string' ? (existing[name] as string) : undefined;
  const event: CreatedObjectEvent = {
    kind: 'created',
    bucket: request.bucket,
    key: request.key,
    eTag: head.eTag,
    ...(versionId && { versionId }),
    ...(head.size !== undefined && { size: head.size }),
    eventName: text('eventName') ?? 'ObjectCreated:Put',
    eventTime: text('eventTime') ?? head.lastModified ?? new Date(now()).toISOString(),
    sequencer: text('sequencer') ?? BACKFILL_SEQUENCER,
    uploader: text('uploader') ?? 's3-ingest-reprocess',
    ...(text('sourceIp') && { sourceIp: text('sourceIp') }),
  };
  let row: UploadRow | undefined;
  const capture: UploadLog = {
    putUploadRow: async (built) => {
      row = built;
      return { created: true };
    },
    advanceState: () => Promise.reject(new Error('reprocess does not move state rows')),
    markCopied: () => Promise.reject(new Error('reprocess does not move state rows')),
    recordScan: () => Promise.reject(new Error('reprocess does not record scans')),
    rowsOfContent: () => Promise.reject(new Error('reprocess does not read scans')),
    markCopiedIfCurrent: () => Promise.reject(new Error('reprocess does not move state rows')),
  };
  // A dry run heads and validates for real but copies nothing.
  const objects: ObjectStore = deps.dryRun
    ? {
        head: (ref) => deps.objects.head(ref),
        readStart: (ref, length) => deps.objects.readStart(ref, length),
        copy: async () => 'copied',
        tagsOf: (ref) => deps.objects.tagsOf(ref),
      }
    : deps.objects;
  await ingestObject(
    event,
    { objects, log: capture, now },
    {
      validation: deps.config.validation,
      contentChecks: deps.config.contentChecks,
      ...(deps.config.copyDestinationBucket && { copyDestinationBucket: deps.config.copyDestinationBucket }),
      rowOptions: {
        gsiShardCount: deps.config.gsiShardCount,
        ...(deps.config.retentionDays !== undefined && { retentionDays: deps.config.retentionDays }),
      },
    },
  );
  if (!row) throw new Error('the ingest step wrote no row');
  const result = {
    object,
    ...(versionId && { versionId }),
    eTag: head.eTag,
    dryRun: deps.dryRun,
    ...(existing && {
      previous: { status: text('status'), ...(text('reason') && { reason: text('reason') }) },
    }),
    now: {
      status: row.status,
      ...(row.reason && { reason: row.reason }),
      ...(row.copiedTo && { copiedTo: row.copiedTo }),
    },
  };
  const same =
    existing &&
    text('status') === row.status &&
    text('reason') === row.reason &&
    text('copiedTo') === row.copiedTo;
  if (same) return { ...result, action: 'unchanged' };
  const action = existing ? 'replaced' : 'written';
  if (deps.dryRun) return { ...result, action };
  try {
    await documents.send(
      new PutCommand({
        TableName: deps.config.uploadLogTable,
        Item: {
          ...row,
          ...(existing && {
            reprocessedAt: new Date(now()).toISOString(),
            previousStatus: text('status'),
            ...(text('reason') && { previousReason: text('reason') }),
          }),
        },
        // Only the row read above is replaced: if the worker wrote it meanwhile, nothing is lost.
        ConditionExpression: existing ? 'processedAt = :seen' : 'attribute_not_exists(pk)',
        ...(existing && { ExpressionAttributeValues: { ':seen': existing.processedAt } }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new ToolError(`the row of ${object} changed while it was reprocessed; run reprocess again`, {
        cause: error,
      });
    }
    throw error;
  }
  // Through Powertools' own key hashing: a later duplicate runs the step instead of the old answer.
  await persistence.deleteRecord(idempotencyKeyOf(event) as never);
  return { ...result, action };
}

/**
 * The worker's configuration for a target: the local stack's worker environment, or the deployed
 * function's (lambda:GetFunctionConfiguration).
 *
 * @throws {ToolError} when the target does not say how its worker is configured
 */
export async function workerConfigOf(target: ToolTarget): Promise<WorkerConfig> {
  if (target.workerEnv) return loadConfig(target.workerEnv);
  if (!target.workerFunction) {
    throw new ToolError(
      `${target.label} does not say how its worker is configured: restart \`npm start\` or redeploy the stack`,
    );
  }
  const lambda = new LambdaClient({ region: target.region });
  try {
    const answer = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: target.workerFunction }),
    );
    return loadConfig(answer.Environment?.Variables ?? {});
  } finally {
    lambda.destroy();
  }
}

/**
 * The objects a `--from-file` names: a CSV with `bucket` and `key` columns (and `versionId`, as
 * `uploads --format csv` writes them), or one `s3://BUCKET/KEY` per line.
 */
export async function requestsFromFile(path: string): Promise<ReprocessRequest[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ToolError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const rows = parseExportedCsv(text);
  const header = rows[0] ?? [];
  if (header.includes('bucket') && header.includes('key')) {
    const column = (name: string) => header.indexOf(name);
    return rows.slice(1).map((cells) => {
      const bucket = cells[column('bucket')] ?? '';
      const key = cells[column('key')] ?? '';
      const versionId = column('versionId') >= 0 ? cells[column('versionId')] : undefined;
      if (!bucket || !key) throw new UsageError(`${path}: a row without bucket or key`);
      return { bucket, key, ...(versionId && { versionId }) };
    });
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => parseS3Uri(line));
}
