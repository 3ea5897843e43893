import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Rejection } from './decode-message';

/** The sync's ports to its queues; the SQS adapters are in shared/aws/sqs-dead-letter-queue.ts. */

export type RejectedRecord = Readonly<{
  messageId: string;
  body: string;
  attributes: Readonly<Record<string, MessageAttributeValue>>;
  rejection: Rejection;
}>;

/** Where rejected messages go, with why. Throws if the queue did not take them all (then they are retried). */
export interface DeadLetterQueue {
  send(records: readonly RejectedRecord[]): Promise<void>;
}

/** Lets deferred messages stay invisible until BigCommerce's quota resets instead of the queue default. */
export interface VisibilityControl {
  delay(entries: readonly Readonly<{ messageId: string; receiptHandle: string; seconds: number }>[]): Promise<void>;
}
