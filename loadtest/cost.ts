/**
 * Published on-demand prices, us-east-1, USD (AWS pricing pages, November 2026). The estimate
 * multiplies them by the calls counted in the run; it leaves out storage, data transfer, logs and
 * free tiers.
 */
export const PRICES = {
  /** DynamoDB on-demand: per million write request units. */
  dynamodbWriteUnitPerMillion: 0.625,
  /** DynamoDB on-demand: per million read request units. */
  dynamodbReadUnitPerMillion: 0.125,
  /** SQS standard queue: per million requests (64 KB chunks). */
  sqsRequestPerMillion: 0.4,
  /** S3 Standard: per million GET/HEAD requests. */
  s3GetPerMillion: 0.4,
  /** S3 Standard: per million PUT/COPY/POST/LIST requests. */
  s3PutPerMillion: 5,
  /** Lambda: per million requests. */
  lambdaRequestPerMillion: 0.2,
  /** Lambda arm64: per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /**
   * EventBridge: per million events on the default bus. S3's events are "AWS opt-in data events",
   * billed like custom events; a bucket with EventBridge on sends every event it has (tagging,
   * ACLs, restores too), each billed whether or not a rule matches it.
   */
  eventBridgeEventPerMillion: 1,
  /** SNS standard topic: per million publishes (each message of a PublishBatch, 64 KB chunks). */
  snsPublishPerMillion: 0.5,
} as const;

/** The upload events publisher's Lambda: memory and billed duration per batch (one PublishBatch per 10 events). */
export const EVENTS_PUBLISHER = { memoryMb: 256, msPerInvocation: 50 } as const;

/** What the estimate assumes beyond the counted calls. */
export interface CostAssumptions {
  /** The worker's memory (the stack's default). */
  readonly lambdaMemoryMb: number;
  /** Billed duration per SQS batch on AWS (network round trips dominate, not CPU). */
  readonly lambdaMsPerBatch: number;
  readonly batchSize: number;
  /** Write units per upload-row put: the row (under 1 KB) plus its byBucketDay index entry. */
  readonly writeUnitsPerUploadRow: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  lambdaMemoryMb: 1024,
  lambdaMsPerBatch: 100,
  batchSize: 10,
  writeUnitsPerUploadRow: 2,
};

/** Cost per million uploads, in USD, by service and in total. */
export interface CostEstimate {
  readonly dynamodb: number;
  readonly sqs: number;
  readonly s3: number;
  readonly lambda: number;
  /** S3's events through EventBridge (0 for buckets heard by notifications). */
  readonly eventbridge: number;
  /** The upload events: SNS publishes and the publisher's invocations (deliveries to SQS are free). */
  readonly uploadEvents: number;
  readonly total: number;
}

const S3_GET_CLASS = new Set(['HeadObject', 'GetObject']);

/**
 * Estimates the cost per million uploads from the AWS calls counted per upload (worker calls, the
 * event source's SQS calls, S3's own SendMessage per notification, and `EventBridge.*` events for a
 * bucket heard through EventBridge).
 *
 * @param callsPerUpload - `Service.Operation` → calls per upload
 * @param uploadRowsPerUpload - upload rows written per upload (1, less with duplicates)
 * @param uploadEventsCost - the upload events: messages published and publisher invocations, per upload
 */
export function costPerMillion(
  callsPerUpload: Readonly<Record<string, number>>,
  uploadRowsPerUpload: number,
  assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
  uploadEventsCost: { readonly publishesPerUpload: number; readonly invocationsPerUpload: number } = {
    publishesPerUpload: 0,
    invocationsPerUpload: 0,
  },
): CostEstimate {
  let dynamodbUnits = 0;
  let dynamodbReads = 0;
  let sqs = 0;
  let s3Get = 0;
  let s3Put = 0;
  let events = 0;
  for (const [name, calls] of Object.entries(callsPerUpload)) {
    const [service = '', operation = ''] = name.split('.');
    if (service === 'DynamoDB') {
      if (['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation)) dynamodbUnits += calls;
      else dynamodbReads += calls;
    } else if (service === 'SQS') sqs += calls;
    else if (service === 'EventBridge') events += calls;
    else if (service === 'S3') {
      if (S3_GET_CLASS.has(operation)) s3Get += calls;
      else s3Put += calls;
    }
  }
  // The index entry of each upload row is one more write unit.
  dynamodbUnits += uploadRowsPerUpload * (assumptions.writeUnitsPerUploadRow - 1);
  const perMillion = 1_000_000;
  const batches = perMillion / assumptions.batchSize;
  const dynamodb =
    dynamodbUnits * PRICES.dynamodbWriteUnitPerMillion + dynamodbReads * PRICES.dynamodbReadUnitPerMillion;
  const sqsCost = sqs * PRICES.sqsRequestPerMillion;
  const s3 = s3Get * PRICES.s3GetPerMillion + s3Put * PRICES.s3PutPerMillion;
  const lambda =
    (batches / perMillion) * PRICES.lambdaRequestPerMillion +
    batches *
      (assumptions.lambdaMsPerBatch / 1000) *
      (assumptions.lambdaMemoryMb / 1024) *
      PRICES.lambdaGbSecond;
  const eventbridge = events * PRICES.eventBridgeEventPerMillion;
  const uploadEvents =
    uploadEventsCost.publishesPerUpload * PRICES.snsPublishPerMillion +
    uploadEventsCost.invocationsPerUpload *
      (PRICES.lambdaRequestPerMillion +
        perMillion *
          (EVENTS_PUBLISHER.msPerInvocation / 1000) *
          (EVENTS_PUBLISHER.memoryMb / 1024) *
          PRICES.lambdaGbSecond);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    dynamodb: round(dynamodb),
    sqs: round(sqsCost),
    s3: round(s3),
    lambda: round(lambda),
    eventbridge: round(eventbridge),
    uploadEvents: round(uploadEvents),
    total: round(dynamodb + sqsCost + s3 + lambda + eventbridge + uploadEvents),
  };
}
