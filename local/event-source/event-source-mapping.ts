import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deleteMessages, receiveMessages } from '../../ops/queue-ops';
import { describeError, type Logger } from '../../shared/logger';
import { createLambdaContext, FunctionTimeoutError, withTimeout } from '../lambda-context';
import { ReceiveCounter, reportedReceiveCount, toSqsRecord } from './sqs-record';

/**
 * The Lambda SQS event source mapping, run locally against any SQS endpoint (AWS documents it in
 * services-sqs-configure and services-sqs-errorhandling):
 * - `maxConcurrency` pollers, each: ReceiveMessage (long poll) -> gather up to `batchSize` messages for
 *   at most `batchingWindowMs` -> invoke the function with an SQS event -> DeleteMessageBatch for
 *   every message not listed in `batchItemFailures`;
 * - a thrown error, a timeout, or a `batchItemFailures` entry that is empty or names a message not in
 *   the batch fails the whole batch: nothing is deleted;
 * - failed messages are left alone: they reappear after the visibility timeout (or whatever
 *   visibility the function set), and the queue's redrive policy moves them to the DLQ after
 *   `maxReceiveCount` receives. The queue does that, not the poller.
 */

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined | undefined>;

export type InvocationReport = Readonly<{
  records: readonly SQSRecord[];
  deleted: readonly string[];
  retried: readonly string[];
  durationMs: number;
  error?: unknown;
}>;

export type EventSourceMappingOptions = Readonly<{
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: SqsHandler;
  functionName: string;
  functionTimeoutMs: number;
  /** The queue's visibility timeout: long polls and the batching window stay below it. */
  visibilityTimeoutSeconds: number;
  batchSize?: number;
  batchingWindowMs: number;
  maxConcurrency: number;
  longPollSeconds?: number;
  /** Pause after an empty short poll (longPollSeconds 0); default 100 ms. */
  idlePollMs?: number;
  logger: Logger;
  onInvocation?: (report: InvocationReport) => void;
}>;

export type PollerStats = Readonly<{
  invocations: number;
  records: number;
  deleted: number;
  retried: number;
  failedInvocations: number;
  timeouts: number;
  running: number;
  receiveErrors: number;
}>;

export interface EventSourceMapping {
  start(): void;
  /** Stops polling, lets invocations in progress finish (and their deletes), then resolves. */
  stop(): Promise<void>;
  stats(): PollerStats;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const isAbort = (error: unknown) => error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');

/** Which messages the response lets the poller delete; undefined = the whole batch failed. */
export function deletableIds(ids: readonly string[], response: SQSBatchResponse | undefined | undefined | null): Set<string> | undefined {
  const failures = response && typeof response === 'object' && Array.isArray(response.batchItemFailures) ? response.batchItemFailures : [];
  const known = new Set(ids);
  if (failures.some((failure) => typeof failure?.itemIdentifier !== 'string' || !known.has(failure.itemIdentifier))) return undefined;
  const failed = new Set(failures.map((failure) => failure.itemIdentifier));
  return new Set(ids.filter((id) => !failed.has(id)));
}

export function createEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const { sqs, queueUrl, logger } = options;
  const batchSize = Math.max(1, Math.min(10, options.batchSize ?? 10));
  // A long poll longer than the visibility timeout could see a message it already holds come back.
  const longPollSeconds = Math.max(0, Math.min(options.longPollSeconds ?? 20, 20, Math.floor(options.visibilityTimeoutSeconds / 2)));
  const counter = new ReceiveCounter();
  const stats = { invocations: 0, records: 0, deleted: 0, retried: 0, failedInvocations: 0, timeouts: 0, running: 0, receiveErrors: 0 };
  let controller = new AbortController();
  let workers: Promise<void>[] = [];
  let running = false;

  async function gather(signal: AbortSignal): Promise<Message[]> {
    // Only a long poll is cut short on stop: a short poll's answer may already carry messages SQS has
    // marked in flight, and dropping it would strand them (with the embedded SQS, lose them at exit).
    const abortable = (waitSeconds: number) => (waitSeconds > 0 ? { abortSignal: signal } : {});
    const first = await receiveMessages(sqs, queueUrl, { max: batchSize, waitTimeSeconds: longPollSeconds, ...abortable(longPollSeconds) });
    if (first.length === 0) {
      if (longPollSeconds === 0) await sleep(options.idlePollMs ?? 100, signal);
      return [];
    }
    const batch = new Map(first.map((message) => [message.MessageId!, message]));
    const deadline = Date.now() + options.batchingWindowMs;
    try {
      while (batch.size < batchSize && Date.now() < deadline && !signal.aborted) {
        const remaining = deadline - Date.now();
        const wait = Math.min(longPollSeconds, Math.floor(remaining / 1000));
        const more = await receiveMessages(sqs, queueUrl, { max: batchSize - batch.size, waitTimeSeconds: wait, ...abortable(wait) });
        for (const message of more) {
          const held = batch.get(message.MessageId!);
          batch.set(message.MessageId!, held ? { ...held, ReceiptHandle: message.ReceiptHandle } : message);
        }
        if (more.length === 0 && wait === 0) await sleep(Math.min(remaining, 50), signal);
      }
    } catch (error) {
      // Stopping (or a failed top-up): invoke with what is held rather than strand it until the visibility timeout.
      if (!isAbort(error)) logger.warn('ReceiveMessage failed while filling a batch', describeError(error));
    }
    return [...batch.values()];
  }

  async function invoke(messages: Message[]): Promise<void> {
    const now = Date.now();
    const records = messages.map((message) => {
      const { count, firstReceivedAt } = counter.received(message.MessageId!, reportedReceiveCount(message), now);
      return toSqsRecord(message, { queueArn: options.queueArn, region: options.region, receiveCount: count, firstReceivedAt, now });
    });
    const ids = records.map((record) => record.messageId);
    const context = createLambdaContext({ functionName: options.functionName, timeoutMs: options.functionTimeoutMs, region: options.region });
    stats.invocations += 1;
    stats.records += records.length;
    stats.running += 1;
    const started = Date.now();
    let response: SQSBatchResponse | undefined | undefined;
    let error: unknown;
    try {
      response = await withTimeout(options.handler({ Records: records }, context), options.functionTimeoutMs);
    } catch (caught) {
      error = caught;
    } finally {
      stats.running -= 1;
    }

    let deletable = error === undefined ? deletableIds(ids, response) : undefined;
    if (error !== undefined) {
      stats.failedInvocations += 1;
      if (error instanceof FunctionTimeoutError) stats.timeouts += 1;
      logger.error('sync invocation failed; the batch will be delivered again', {
        requestId: context.awsRequestId,
        records: ids.length,
        ...describeError(error),
      });
    } else if (deletable === undefined) {
      stats.failedInvocations += 1;
      logger.error('batchItemFailures names a message not in the batch; the whole batch will be delivered again', { requestId: context.awsRequestId });
    }
    deletable ??= new Set();

    const toDelete = messages.filter((message) => deletable.has(message.MessageId!));
    let notDeleted: string[] = [];
    try {
      notDeleted = await deleteMessages(sqs, queueUrl, toDelete);
    } catch (caught) {
      notDeleted = toDelete.map((message) => message.MessageId!);
      logger.warn('DeleteMessageBatch failed; those messages will be delivered again', describeError(caught));
    }
    if (notDeleted.length > 0) logger.warn('SQS did not delete some messages; they will be delivered again', { count: notDeleted.length });
    const deleted = toDelete.map((message) => message.MessageId!).filter((id) => !notDeleted.includes(id));
    for (const id of deleted) counter.forget(id);
    const retried = ids.filter((id) => !deleted.includes(id));
    stats.deleted += deleted.length;
    stats.retried += retried.length;
    options.onInvocation?.({ records, deleted, retried, durationMs: Date.now() - started, ...(error !== undefined ? { error } : {}) });
  }

  async function poll(signal: AbortSignal): Promise<void> {
    let backoffMs = 0;
    while (!signal.aborted) {
      let batch: Message[];
      try {
        batch = await gather(signal);
        backoffMs = 0;
      } catch (error) {
        if (signal.aborted || isAbort(error)) break;
        stats.receiveErrors += 1;
        backoffMs = Math.min(10_000, Math.max(500, backoffMs * 2));
        logger.warn('ReceiveMessage failed; retrying', { ...describeError(error), retryInMs: backoffMs });
        await sleep(backoffMs, signal);
        continue;
      }
      if (batch.length > 0) await invoke(batch);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      controller = new AbortController();
      workers = Array.from({ length: options.maxConcurrency }, () => poll(controller.signal));
    },
    async stop() {
      if (!running) return;
      running = false;
      controller.abort();
      await Promise.all(workers);
      workers = [];
    },
    stats: () => ({ ...stats }),
  };
}
