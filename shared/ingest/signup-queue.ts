import type { ConfirmationMessage, SignupMessage } from '../signup/signup-schema';

/**
 * The port the ingest use case needs: put validated signups on the queue, all or an error
 * (a QueueError from shared/queue/errors.ts). The SQS adapter is shared/aws/sqs-signup-queue.ts.
 */
export interface SignupQueue {
  enqueue(messages: readonly (SignupMessage | ConfirmationMessage)[]): Promise<void>;
}
