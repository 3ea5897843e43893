import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { reportedReceiveCount, toSqsRecord } from '../../../local/event-source/sqs-record';
import { TEST_REGION } from './local-aws';

/**
 * One poll of the Lambda SQS event source mapping, as AWS documents it (services-sqs-errorhandling):
 * ReceiveMessage up to the batch size -> invoke with the SQS event -> delete every message the
 * function did not report in batchItemFailures. A thrown error, or a batchItemFailures entry that is
 * empty or names a message not in the batch, fails the whole batch (nothing is deleted). Without
 * ReportBatchItemFailures on the mapping, the response is ignored and a successful invocation deletes
 * the whole batch (an easy mistake to ship), so the tests see what the stack really does.
 */

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export type PollOptions = Readonly<{
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  handler: SqsHandler;
  context: () => Context;
  /** The mapping's FunctionResponseTypes includes ReportBatchItemFailures. */
  reportBatchItemFailures: boolean;
  /** Long-poll seconds (the mapping long-polls up to 20 s; tests keep it short). */
  waitTimeSeconds?: number;
  /** Per-receive override; the queue's own visibility timeout applies when absent. */
  visibilityTimeoutSeconds?: number;
}>;

export type PollResult = Readonly<{
  received: readonly Message[];
  response: SQSBatchResponse | undefined | undefined;
  /** Ids of the messages deleted after the invocation. */
  deleted: readonly string[];
  /** Ids left on the queue for redelivery. */
  retried: readonly string[];
  error?: unknown;
}>;

/** A received SQS message as Lambda hands it to the function (local mode's conversion, with moto's own receive count). */
function toLambdaRecord(message: Message, queueArn: string): SQSRecord {
  const firstReceivedAt = Number(message.Attributes?.ApproximateFirstReceiveTimestamp);
  return toSqsRecord(message, {
    queueArn,
    region: TEST_REGION,
    receiveCount: reportedReceiveCount(message) ?? 1,
    firstReceivedAt: Number.isFinite(firstReceivedAt) ? firstReceivedAt : Date.now(),
  });
}

export async function receiveBatch(
  sqs: SQSClient,
  queueUrl: string,
  { max = 10, waitTimeSeconds = 0, visibilityTimeoutSeconds }: Readonly<{ max?: number; waitTimeSeconds?: number; visibilityTimeoutSeconds?: number }> = {},
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      WaitTimeSeconds: waitTimeSeconds,
      ...(visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: visibilityTimeoutSeconds } : {}),
    }),
  );
  return Messages;
}

export async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
    if (result.Failed?.length) throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(result.Failed)}`);
  }
}

export async function pollOnce(sqs: SQSClient, options: PollOptions): Promise<PollResult> {
  const received = await receiveBatch(sqs, options.queueUrl, {
    max: options.batchSize,
    waitTimeSeconds: options.waitTimeSeconds ?? 0,
    ...(options.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
  });
  if (received.length === 0) return { received, response: undefined, deleted: [], retried: [] };

  const ids = received.map((message) => message.MessageId!);
  let response: SQSBatchResponse | undefined;
  try {
    response = await options.handler({ Records: received.map((message) => toLambdaRecord(message, options.queueArn)) }, options.context());
  } catch (error) {
    return { received, response: undefined, deleted: [], retried: ids, error };
  }
  const failures = options.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
  if (failures.some((failure) => !failure.itemIdentifier || !ids.includes(failure.itemIdentifier))) {
    return { received, response, deleted: [], retried: ids };
  }
  const failed = new Set(failures.map((failure) => failure.itemIdentifier));
  const done = received.filter((message) => !failed.has(message.MessageId!));
  await deleteMessages(sqs, options.queueUrl, done);
  return { received, response, deleted: done.map((message) => message.MessageId!), retried: ids.filter((id) => failed.has(id)) };
}
