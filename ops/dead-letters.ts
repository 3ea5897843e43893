import { ListMessageMoveTasksCommand, type Message, PurgeQueueCommand, type SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { sendInBatches } from '../shared/aws/sqs-send-batches';
import { deleteMessages, isAwsQueueUrl, queueArn, queueDepth, receiveMessages, releaseMessages } from './queue-ops';
import { redactEmails } from './redact';
import { type IngestSetup, isUnmappable, redriveUnmappable, type UnmappableRedriveResult } from './unmappable-redrive';

/**
 * Dead-letter queue tools shared by the CLI (`signup-sync dlq …`) and local mode's status page.
 * A dead letter carries its original body untouched plus the sync's Rejection* attributes
 * (shared/aws/sqs-dead-letter-queue.ts); one moved by the redrive policy (maxReceiveCount) has none.
 */

export type DeadLetter = Readonly<{
  messageId: string;
  /** RejectionCode, or `max-receives` for a message the redrive policy moved. */
  reason: string;
  detail?: string;
  httpStatus?: number;
  sourceId?: string;
  sourceKind?: string;
  /** When it was rejected (RejectedAt), else when it was first sent (SentTimestamp). */
  since?: string;
  ageSeconds?: number;
  originalMessageId?: string;
  /** Only with `showPii`. */
  email?: string;
}>;

export class DeadLetterToolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeadLetterToolError';
  }
}

const attribute = (message: Message, name: string): string | undefined => message.MessageAttributes?.[name]?.StringValue;

function emailOf(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { signup?: { email?: unknown } };
    return typeof parsed.signup?.email === 'string' ? parsed.signup.email : undefined;
  } catch {
    return undefined;
  }
}

export function describeDeadLetter(message: Message, { showPii = false, now = Date.now() }: Readonly<{ showPii?: boolean; now?: number }> = {}): DeadLetter {
  const rejectedAt = attribute(message, 'RejectedAt');
  const sentMs = Number(message.Attributes?.SentTimestamp);
  const sinceMs = rejectedAt ? Date.parse(rejectedAt) : Number.isFinite(sentMs) && sentMs > 0 ? sentMs : undefined;
  const detail = attribute(message, 'RejectionDetail');
  const httpStatus = Number(attribute(message, 'RejectionHttpStatus'));
  const email = showPii ? emailOf(message.Body) : undefined;
  return {
    messageId: message.MessageId ?? '?',
    reason: attribute(message, 'RejectionCode') ?? 'max-receives',
    ...(detail ? { detail: showPii ? detail : redactEmails(detail) } : {}),
    ...(Number.isInteger(httpStatus) && httpStatus > 0 ? { httpStatus } : {}),
    ...(attribute(message, 'SourceId') ? { sourceId: attribute(message, 'SourceId') } : {}),
    ...(attribute(message, 'SourceKind') ? { sourceKind: attribute(message, 'SourceKind') } : {}),
    ...(sinceMs !== undefined && Number.isFinite(sinceMs)
      ? { since: new Date(sinceMs).toISOString(), ageSeconds: Math.max(0, Math.round((now - sinceMs) / 1000)) }
      : {}),
    ...(attribute(message, 'OriginalMessageId') ? { originalMessageId: attribute(message, 'OriginalMessageId') } : {}),
    ...(email ? { email } : {}),
  };
}

export type ListOptions = Readonly<{
  max?: number;
  showPii?: boolean;
  /** How long listed messages stay hidden while the list is read; they are released right after. */
  peekSeconds?: number;
}>;

/**
 * Reads up to `max` dead letters without removing them: receive with a short visibility timeout,
 * then make every one visible again. (SQS has no peek; the AWS console does the same.)
 */
export async function listDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  { max = 1000, showPii = false, peekSeconds = 30 }: ListOptions = {},
): Promise<DeadLetter[]> {
  const seen = new Map<string, Message>();
  const aws = isAwsQueueUrl(deadLetterQueueUrl);
  let emptyReceives = 0;
  try {
    // AWS short polls sample a subset of servers: a miss is only believed twice, with a 1 s wait.
    while (seen.size < max && emptyReceives < 2) {
      const batch = await receiveMessages(sqs, deadLetterQueueUrl, {
        max: Math.min(10, max - seen.size),
        visibilityTimeoutSeconds: peekSeconds,
        waitTimeSeconds: aws ? 1 : 0,
      });
      const fresh = batch.filter((message) => !seen.has(message.MessageId!));
      for (const message of batch) seen.set(message.MessageId!, message);
      emptyReceives = fresh.length === 0 ? emptyReceives + 1 : 0;
    }
  } finally {
    await releaseMessages(sqs, deadLetterQueueUrl, [...seen.values()]);
  }
  const now = Date.now();
  return [...seen.values()].map((message) => describeDeadLetter(message, { showPii, now })).sort((a, b) => (a.since ?? '').localeCompare(b.since ?? ''));
}

export type RedriveMethod = 'auto' | 'move-task' | 'copy';

export type RedriveOptions = Readonly<{
  deadLetterQueueUrl: string;
  signupQueueUrl: string;
  /** `move-task`: SQS StartMessageMoveTask (AWS); `copy`: receive -> send -> delete; `auto`: move-task on AWS, copy elsewhere. */
  method?: RedriveMethod;
  /** Messages per second (MaxNumberOfMessagesPerSecond of the move task; a pause between batches for copy). */
  rate?: number;
  /** Copy at most this many (default: the DLQ's depth when the redrive starts, so re-rejected messages are not cycled). */
  max?: number;
  onProgress?: (moved: number, total: number | undefined) => void;
  sleep?: (ms: number) => Promise<void>;
  /** ms between ListMessageMoveTasks polls. */
  pollMs?: number;
  signal?: AbortSignal;
  /**
   * The ingest's configuration now: `unmappable` dead letters are re-run through it first, whatever the
   * method (ops/unmappable-redrive.ts). Without it they stay in the DLQ (counted in `notRerun`).
   */
  ingestSetup?: () => Promise<IngestSetup>;
}>;

export type RedriveResult = Readonly<{
  method: 'move-task' | 'copy';
  moved: number;
  status: string;
  failureReason?: string;
  /** Set when the DLQ held `unmappable` letters. */
  unmappable?: UnmappableRedriveResult;
  /** A move task was asked for (or `auto` on AWS) but unmappable letters remained: copied instead, leaving them. */
  moveTaskAvoided?: boolean;
}>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function resolveRedriveMethod(method: RedriveMethod, deadLetterQueueUrl: string): 'move-task' | 'copy' {
  if (method !== 'auto') return method;
  return isAwsQueueUrl(deadLetterQueueUrl) ? 'move-task' : 'copy';
}

/** Moves dead letters back to the signups queue, bodies and message attributes unchanged. */
export async function redriveDeadLetters(sqs: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  if (options.rate !== undefined && !(options.rate > 0)) throw new DeadLetterToolError('The rate must be a positive number of messages per second');
  const wanted = resolveRedriveMethod(options.method ?? 'auto', options.deadLetterQueueUrl);
  // Unmappable letters are always re-run (never moved as they are), whatever the method; the method is
  // for the other letters.
  const unmappable = await redriveUnmappable(sqs, {
    deadLetterQueueUrl: options.deadLetterQueueUrl,
    signupQueueUrl: options.signupQueueUrl,
    ...(options.ingestSetup ? { setup: await options.ingestSetup() } : {}),
  });
  // A move task moves every message of the DLQ: it would carry the unmappable letters that remain to the
  // signups queue as they are, where the sync cannot read them. The copy leaves them.
  const moveTaskAvoided = wanted === 'move-task' && unmappable.stillUnmappable + unmappable.refused + unmappable.notRerun > 0;
  const result = wanted === 'move-task' && !moveTaskAvoided ? await moveTask(sqs, options) : await copyBack(sqs, options);
  const sawUnmappable = unmappable.rerun + unmappable.notRerun > 0;
  return { ...result, ...(sawUnmappable ? { unmappable } : {}), ...(moveTaskAvoided ? { moveTaskAvoided } : {}) };
}

type MoveResult = Omit<RedriveResult, 'unmappable' | 'moveTaskAvoided'>;

async function moveTask(sqs: SQSClient, options: RedriveOptions): Promise<MoveResult> {
  const sleep = options.sleep ?? defaultSleep;
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, options.deadLetterQueueUrl), queueArn(sqs, options.signupQueueUrl)]);
  await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      // Always named: messages the sync put in the DLQ itself have no source queue recorded.
      DestinationArn: destinationArn,
      ...(options.rate !== undefined ? { MaxNumberOfMessagesPerSecond: Math.max(1, Math.floor(options.rate)) } : {}),
    }),
  );
  for (;;) {
    await sleep(options.pollMs ?? 1000);
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    options.onProgress?.(moved, task?.ApproximateNumberOfMessagesToMove);
    if (task?.Status !== 'RUNNING' || options.signal?.aborted) {
      return { method: 'move-task', moved, status: task?.Status ?? 'UNKNOWN', ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}) };
    }
  }
}

async function copyBack(sqs: SQSClient, options: RedriveOptions): Promise<MoveResult> {
  const sleep = options.sleep ?? defaultSleep;
  const depth = await queueDepth(sqs, options.deadLetterQueueUrl);
  // An emulator may count in-flight messages too: an upper bound is all this needs.
  const total = options.max ?? depth.visible + depth.inFlight;
  const started = Date.now();
  let moved = 0;
  let emptyReceives = 0;
  // Unmappable letters are not signup messages: they stay (hidden until the end) for a re-run.
  const skipped: Message[] = [];
  const aws = isAwsQueueUrl(options.deadLetterQueueUrl);
  try {
    while (moved + skipped.length < total && emptyReceives < 2 && !options.signal?.aborted) {
      const received = await receiveMessages(sqs, options.deadLetterQueueUrl, {
        max: Math.min(10, total - moved - skipped.length),
        visibilityTimeoutSeconds: 60,
        waitTimeSeconds: aws ? 1 : 0,
      });
      skipped.push(...received.filter(isUnmappable));
      const batch = received.filter((message) => !isUnmappable(message));
      if (received.length === 0) {
        emptyReceives += 1;
        continue;
      }
      emptyReceives = 0;
      if (batch.length === 0) continue;
      if (options.rate !== undefined) {
        // Never faster than `rate`: this batch may start once the previous ones' time is used up.
        const due = started + (moved / options.rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      // Send first, then delete: an interruption in between duplicates a message (the sync looks
      // customers up before creating them), it never loses one.
      await sendInBatches(
        batch.map((message, index) => ({ id: String(index), body: message.Body ?? '', attributes: message.MessageAttributes ?? {} })),
        { sqs, queueUrl: options.signupQueueUrl },
      );
      const notDeleted = await deleteMessages(sqs, options.deadLetterQueueUrl, batch);
      if (notDeleted.length > 0)
        throw new DeadLetterToolError(`SQS did not delete ${notDeleted.length} redriven message(s) from the DLQ; they are now in both queues`);
      moved += batch.length;
      options.onProgress?.(moved, total);
    }
  } finally {
    await releaseMessages(sqs, options.deadLetterQueueUrl, skipped);
  }
  return { method: 'copy', moved, status: options.signal?.aborted ? 'CANCELLED' : 'COMPLETED' };
}

export type PurgeResult = Readonly<{ method: 'purge-queue' | 'delete'; deleted?: number }>;

/**
 * Empties the DLQ. On AWS: PurgeQueue (takes up to 60 s, once per 60 s). Elsewhere message by message,
 * because emulators delay PurgeQueue too (local-aws-sqs: 60 s) and a developer wants to see it done.
 */
export async function purgeDeadLetters(sqs: SQSClient, deadLetterQueueUrl: string): Promise<PurgeResult> {
  if (isAwsQueueUrl(deadLetterQueueUrl)) {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: deadLetterQueueUrl }));
    return { method: 'purge-queue' };
  }
  let deleted = 0;
  for (let empty = 0; empty < 2; ) {
    const batch = await receiveMessages(sqs, deadLetterQueueUrl, { max: 10, visibilityTimeoutSeconds: 60 });
    if (batch.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    const failed = await deleteMessages(sqs, deadLetterQueueUrl, batch);
    deleted += batch.length - failed.length;
  }
  return { method: 'delete', deleted };
}
