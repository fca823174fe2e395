import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type ScanCheck, scanCheckBody } from '../core/scan-result.js';
import type { ScanChecks } from '../worker/ingest-object.js';

/**
 * Scan checks on SQS: each is a message to the ingest queue, delayed by the scan deadline
 * (SQS delays a message at most 900 s), that the worker reads like any other.
 */
export class SqsScanChecks implements ScanChecks {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly delaySeconds: number,
  ) {}

  async schedule(check: ScanCheck): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: scanCheckBody(check),
        DelaySeconds: this.delaySeconds,
      }),
    );
  }
}
