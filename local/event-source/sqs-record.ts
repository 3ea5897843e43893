import type { Message } from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/**
 * Receive counts by MessageId, for endpoints that do not report ApproximateReceiveCount (local-aws-sqs
 * does not for the current ReceiveMessage parameters). Bounded: the oldest entries go first.
 */
export class ReceiveCounter {
  private readonly counts = new Map<string, { count: number; firstReceivedAt: number }>();

  constructor(private readonly limit = 100_000) {}

  /** Records one delivery; `reported` is the endpoint's own count when it sends one. */
  received(messageId: string, reported: number | undefined, now = Date.now()): { count: number; firstReceivedAt: number } {
    const seen = this.counts.get(messageId);
    const entry = { count: reported ?? (seen?.count ?? 0) + 1, firstReceivedAt: seen?.firstReceivedAt ?? now };
    // Re-inserting keeps the map in least-recently-received order.
    this.counts.delete(messageId);
    this.counts.set(messageId, entry);
    if (this.counts.size > this.limit) this.counts.delete(this.counts.keys().next().value!);
    return entry;
  }

  /** The message is gone (deleted): its count is no longer needed. */
  forget(messageId: string): void {
    this.counts.delete(messageId);
  }

  get size(): number {
    return this.counts.size;
  }
}

/** SDK message attributes (PascalCase) -> the Lambda event's camelCase shape, binary values in base64. */
export function toLambdaMessageAttributes(attributes: Message['MessageAttributes']): SQSMessageAttributes {
  const converted: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    converted[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return converted;
}

export type RecordContext = Readonly<{
  queueArn: string;
  region: string;
  receiveCount: number;
  firstReceivedAt: number;
  now?: number;
}>;

/** A received SQS message as the Lambda event source mapping hands it to the function. */
export function toSqsRecord(message: Message, { queueArn, region, receiveCount, firstReceivedAt, now = Date.now() }: RecordContext): SQSRecord {
  const system = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: system.SentTimestamp ?? String(now),
      SenderId: system.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(firstReceivedAt),
      ...(system.AWSTraceHeader ? { AWSTraceHeader: system.AWSTraceHeader } : {}),
    },
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The endpoint's ApproximateReceiveCount, when it sent a usable one. */
export function reportedReceiveCount(message: Message): number | undefined {
  const value = Number(message.Attributes?.ApproximateReceiveCount);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
