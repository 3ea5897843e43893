import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendInBatches } from '../../../shared/aws/sqs-send-batches';
import { deleteMessages, receiveBatch } from './event-source-mapping';

/**
 * A DLQ redrive done by hand: receive from the DLQ, send each message to the source queue with the same
 * body and message attributes, then delete it from the DLQ. It stands in for SQS StartMessageMoveTask,
 * which moto does not implement, and keeps what that task keeps (body and attributes, including the
 * Rejection* ones). Send-then-delete is at-least-once: an interruption in between duplicates a
 * message, never loses it, and the sync looks customers up before creating them.
 */
export async function moveDeadLetters(sqs: SQSClient, { from, to }: Readonly<{ from: string; to: string }>): Promise<number> {
  let moved = 0;
  for (;;) {
    const batch = await receiveBatch(sqs, from, { visibilityTimeoutSeconds: 30 });
    if (batch.length === 0) return moved;
    await sendInBatches(
      batch.map((message, index) => ({ id: String(index), body: message.Body ?? '', attributes: message.MessageAttributes ?? {} })),
      { sqs, queueUrl: to },
    );
    await deleteMessages(sqs, from, batch);
    moved += batch.length;
  }
}
