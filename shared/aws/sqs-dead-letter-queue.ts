import { ChangeMessageVisibilityBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { redactEmails } from '../observability/redact';
import type { DeadLetterQueue, RejectedRecord, VisibilityControl } from '../sync/dead-letters';
import { sendInBatches } from './sqs-send-batches';

/** The sync's DeadLetterQueue and VisibilityControl ports (shared/sync/dead-letters.ts) on SQS. */

/** SQS caps a message attribute value at 256 KiB; a short reason is what an operator needs. */
const MAX_DETAIL_CHARS = 1000;
/** SQS caps a visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** DLQ attributes: the reason travels beside the untouched original body, so a redrive replays it as it was. */
export function rejectionAttributes(record: RejectedRecord, rejectedAt: Date): Record<string, MessageAttributeValue> {
  return {
    ...record.attributes,
    RejectionCode: { DataType: 'String', StringValue: record.rejection.code },
    // BigCommerce's text may quote the email: attributes are read by tools and consoles, so it is masked.
    RejectionDetail: { DataType: 'String', StringValue: redactEmails(record.rejection.detail).slice(0, MAX_DETAIL_CHARS) || '-' },
    ...(record.rejection.httpStatus ? { RejectionHttpStatus: { DataType: 'Number', StringValue: String(record.rejection.httpStatus) } } : {}),
    OriginalMessageId: { DataType: 'String', StringValue: record.messageId },
    RejectedAt: { DataType: 'String', StringValue: rejectedAt.toISOString() },
  };
}

export function createSqsDeadLetterQueue(sqs: SQSClient, queueUrl: string, now: () => Date = () => new Date()): DeadLetterQueue {
  return {
    async send(records) {
      if (records.length === 0) return;
      await sendInBatches(
        records.map((record) => ({ id: record.messageId, body: record.body, attributes: rejectionAttributes(record, now()) })),
        { sqs, queueUrl },
      );
    },
  };
}

export function createSqsVisibilityControl(sqs: SQSClient, queueUrl: string): VisibilityControl {
  return {
    async delay(entries) {
      for (let start = 0; start < entries.length; start += 10) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.slice(start, start + 10).map((entry) => ({
              Id: entry.messageId,
              ReceiptHandle: entry.receiptHandle,
              VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(entry.seconds))),
            })),
          }),
        );
      }
    },
  };
}
