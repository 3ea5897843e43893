import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MemoryQueue, ReceivedMessage } from './memory-queue';

/** A Lambda handler as the event source mapping calls it. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export type EventSourceOptions = Readonly<{
  queue: MemoryQueue;
  /** One handler per concurrent execution environment (maxConcurrency); each keeps its own module state. */
  environments: readonly SqsHandler[];
  batchSize: number;
  /** maxBatchingWindow (real ms): a partial batch waits this long for more messages. */
  batchingWindowMs: number;
  /** The function timeout (real ms): getRemainingTimeInMillis counts down from it. */
  functionTimeoutMs: number;
  /** Messages are still being sent (arrivals over time): an empty queue is waited on, not the end of the drain. */
  moreComing?: () => boolean;
}>;

export type EventSourceStats = {
  invocations: number;
  recordsDelivered: number;
  /** Records the handler reported in batchItemFailures (or all records of a failed invocation). */
  recordsFailed: number;
  handlerErrors: number;
  /** Invocations that ran longer than the function timeout (Lambda would have killed them). */
  overruns: number;
  partialBatches: number;
};

export function aContext(timeoutMs: number): Context {
  const deadline = performance.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'signup-sync-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:signup-sync-bench',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/signup-sync-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, Math.floor(deadline - performance.now())),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function toRecord(message: ReceivedMessage): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(Math.round(performance.timeOrigin + message.enqueuedAt)),
      SenderId: 'AIDABENCH',
      ApproximateFirstReceiveTimestamp: String(Math.round(performance.timeOrigin + message.firstReceivedAt)),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:signups',
    awsRegion: 'us-east-1',
  };
}

/**
 * The Lambda event source mapping for SQS, reduced to what matters here: `environments.length`
 * concurrent pollers (maxConcurrency), each receiving up to `batchSize` messages (waiting up to the
 * batching window for a partial batch), invoking its handler, deleting the records not reported in
 * `batchItemFailures` (a thrown error fails the whole batch). Failed records stay invisible until the
 * visibility timeout, or the ChangeMessageVisibility the handler asked for. Runs until the queue is empty.
 */
export async function drainThroughEventSource(options: EventSourceOptions): Promise<EventSourceStats> {
  const { queue } = options;
  const stats: EventSourceStats = { invocations: 0, recordsDelivered: 0, recordsFailed: 0, handlerErrors: 0, overruns: 0, partialBatches: 0 };

  const moreComing = options.moreComing ?? (() => false);
  const gather = async (): Promise<ReceivedMessage[] | undefined> => {
    for (;;) {
      if (queue.size === 0 && !moreComing()) return undefined;
      const batch = queue.receive(options.batchSize);
      if (batch.length === 0) {
        // Long polling: wake on a new or re-visible message (checked at least every 20 ms).
        await queue.waitForMessages(Math.min(20, queue.msUntilVisible() ?? 20));
        continue;
      }
      const windowEnds = performance.now() + options.batchingWindowMs;
      while (batch.length < options.batchSize && performance.now() < windowEnds && (queue.size > batch.length || moreComing())) {
        await queue.waitForMessages(Math.min(windowEnds - performance.now(), queue.msUntilVisible() ?? 20, 20));
        batch.push(...queue.receive(options.batchSize - batch.length));
      }
      if (batch.length < options.batchSize) stats.partialBatches += 1;
      return batch;
    }
  };

  const poll = async (handler: SqsHandler): Promise<void> => {
    for (;;) {
      const batch = await gather();
      if (!batch) return;
      stats.invocations += 1;
      stats.recordsDelivered += batch.length;
      const started = performance.now();
      let failed: Set<string>;
      try {
        const response = await handler({ Records: batch.map(toRecord) }, aContext(options.functionTimeoutMs));
        const ids = new Set(batch.map((message) => message.messageId));
        const reported = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
        // Lambda treats an unknown or empty identifier as a failure of the whole batch.
        failed = reported.every((id) => ids.has(id)) ? new Set(reported) : ids;
      } catch {
        stats.handlerErrors += 1;
        failed = new Set(batch.map((message) => message.messageId));
      }
      if (performance.now() - started > options.functionTimeoutMs) stats.overruns += 1;
      stats.recordsFailed += failed.size;
      for (const message of batch) if (!failed.has(message.messageId)) queue.delete(message.receiptHandle);
    }
  };

  await Promise.all(options.environments.map((handler) => poll(handler)));
  return stats;
}
