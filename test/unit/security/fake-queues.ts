import {
  ChangeMessageVisibilityBatchCommand,
  type ChangeMessageVisibilityBatchRequestEntry,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchRequestEntry,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * In-memory SQS queues behind aws-sdk-client-mock, with the semantics the DLQ tools rely on: a received
 * message is hidden until deleted or made visible again, SendMessage(Batch) appends, GetQueueAttributes
 * counts. Every SQSClient in the process talks to them (the CLI creates its own). The integration suite
 * proves the same against moto.
 */

export type StoredMessage = { id: string; body: string; attributes: Record<string, MessageAttributeValue>; visible: boolean; receipt: number };

let sequence = 0;

export function fakeQueues(urls: readonly string[]) {
  const queues = new Map<string, StoredMessage[]>(urls.map((url) => [url, []]));
  const queue = (url: string | undefined): StoredMessage[] => {
    const found = queues.get(url ?? '');
    if (!found) throw new Error(`fake SQS: no queue ${url}`);
    return found;
  };
  const send = (url: string | undefined, body: string, attributes: Record<string, MessageAttributeValue> = {}) => {
    sequence += 1;
    const id = `msg-${sequence}`;
    queue(url).push({ id, body, attributes, visible: true, receipt: 0 });
    return id;
  };
  const mock = mockClient(SQSClient);
  mock.on(SendMessageCommand).callsFake((input: { QueueUrl: string; MessageBody: string; MessageAttributes?: Record<string, MessageAttributeValue> }) => ({
    MessageId: send(input.QueueUrl, input.MessageBody, input.MessageAttributes),
  }));
  mock.on(SendMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => ({
    Successful: input.Entries.map((entry) => ({
      Id: entry.Id,
      MessageId: send(input.QueueUrl, entry.MessageBody ?? '', entry.MessageAttributes ?? {}),
      MD5OfMessageBody: 'x',
    })),
    Failed: [],
  }));
  mock.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string; MaxNumberOfMessages?: number }) => {
    const visible = queue(input.QueueUrl)
      .filter((message) => message.visible)
      .slice(0, input.MaxNumberOfMessages ?? 1);
    const messages: Message[] = visible.map((message) => {
      message.visible = false;
      message.receipt += 1;
      return { MessageId: message.id, ReceiptHandle: `${message.id}#${message.receipt}`, Body: message.body, MessageAttributes: message.attributes };
    });
    return { Messages: messages };
  });
  const byReceipt = (url: string | undefined, handle: string | undefined) => queue(url).find((message) => `${message.id}#${message.receipt}` === handle);
  mock.on(DeleteMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: DeleteMessageBatchRequestEntry[] }) => {
    for (const entry of input.Entries) {
      const message = byReceipt(input.QueueUrl, entry.ReceiptHandle);
      if (message) queue(input.QueueUrl).splice(queue(input.QueueUrl).indexOf(message), 1);
    }
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
  });
  mock.on(ChangeMessageVisibilityBatchCommand).callsFake((input: { QueueUrl: string; Entries: ChangeMessageVisibilityBatchRequestEntry[] }) => {
    for (const entry of input.Entries) {
      const message = byReceipt(input.QueueUrl, entry.ReceiptHandle);
      if (message && entry.VisibilityTimeout === 0) message.visible = true;
    }
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
  });
  mock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => {
    const messages = queue(input.QueueUrl);
    return {
      Attributes: {
        QueueArn: `arn:aws:sqs:eu-west-1:123456789012:${input.QueueUrl.split('/').pop()}`,
        ApproximateNumberOfMessages: String(messages.filter((message) => message.visible).length),
        ApproximateNumberOfMessagesNotVisible: String(messages.filter((message) => !message.visible).length),
        ApproximateNumberOfMessagesDelayed: '0',
      },
    };
  });
  return {
    /** Puts a message on a queue as any principal allowed sqs:SendMessage would. */
    send,
    messages: (url: string) => queue(url).map(({ id, body, attributes }) => ({ id, body, attributes })),
    restore: () => mock.restore(),
  };
}
