import { type MessageAttributeValue, SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueRejectedError, QueueUnavailableError } from '../queue/errors';

/** SQS limits one SendMessageBatch to 10 entries and 256 KiB in total (bodies plus attributes). */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

export type OutgoingMessage = Readonly<{
  /** Batch entry id: unique in the call, [A-Za-z0-9_-]{1,80}. */
  id: string;
  body: string;
  attributes?: Readonly<Record<string, MessageAttributeValue>>;
  delaySeconds?: number;
}>;

export type SendBatchesOptions = Readonly<{
  sqs: SQSClient;
  queueUrl: string;
  /** Attempts per entry, counting the first; the SDK's own retries happen inside each attempt. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const attributeBytes = (attributes: OutgoingMessage['attributes']): number =>
  Object.entries(attributes ?? {}).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? ''),
    0,
  );

export function chunkForSqs(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body) + attributeBytes(message.attributes);
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const toEntry = (message: OutgoingMessage): SendMessageBatchRequestEntry => ({
  Id: message.id,
  MessageBody: message.body,
  MessageAttributes: message.attributes ? { ...message.attributes } : undefined,
  DelaySeconds: message.delaySeconds,
});

/**
 * Sends every message or throws. Entries SQS reports as failed without the sender's fault are
 * re-sent with backoff; a sender fault is a bug and is not retried. Returns SQS message ids by entry id.
 */
export async function sendInBatches(
  messages: readonly OutgoingMessage[],
  { sqs, queueUrl, maxAttempts = 3, sleep = defaultSleep }: SendBatchesOptions,
): Promise<Map<string, string>> {
  const sqsIds = new Map<string, string>();
  for (const chunk of chunkForSqs(messages)) {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let failedIds: Set<string>;
      try {
        const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map(toEntry) }));
        for (const ok of result.Successful ?? []) if (ok.Id && ok.MessageId) sqsIds.set(ok.Id, ok.MessageId);
        const senderFault = (result.Failed ?? []).find((failure) => failure.SenderFault);
        if (senderFault) {
          throw new QueueRejectedError(`SQS rejected a message: ${senderFault.Code ?? 'unknown'} (${senderFault.Message ?? ''})`);
        }
        failedIds = new Set((result.Failed ?? []).map((failure) => failure.Id ?? ''));
      } catch (error) {
        if (error instanceof QueueRejectedError) throw error;
        if (attempt >= maxAttempts) throw new QueueUnavailableError('SQS did not accept the messages', { cause: error });
        await sleep(50 * 2 ** attempt);
        continue;
      }
      pending = pending.filter((message) => failedIds.has(message.id));
      if (pending.length > 0) {
        if (attempt >= maxAttempts) throw new QueueUnavailableError(`SQS failed ${pending.length} message(s) after ${attempt} attempts`);
        await sleep(50 * 2 ** attempt);
      }
    }
  }
  return sqsIds;
}
