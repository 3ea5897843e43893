import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { describeError, type Logger } from '../logger';
import { createEmailHasher, type EmailHasher } from '../observability/email-hash';
import { redactEmails } from '../observability/redact';
import type { SignupMessage } from '../signup/signup-schema';
import { TraceEvent, writeTrace } from '../trace/trace-events';
import type { AttributeIds } from './customer-mapping';
import type { DeadLetterQueue, RejectedRecord, VisibilityControl } from './dead-letters';
import { decodeSignupMessage } from './decode-message';
import type { SyncOutcome } from './outcome';
import { redeliveryDelaySeconds } from './redelivery-delay';
import { type SyncEngineDeps, type SyncEngineOptions, type SyncItem, syncSignups } from './sync-engine';

/** One queue message as the sync sees it, independent of Lambda's event types. */
export type QueueRecord = Readonly<{
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** SQS's ApproximateReceiveCount (1 on the first delivery). */
  receiveCount?: number;
}>;

export type ProcessRecordsDeps = SyncEngineDeps &
  Readonly<{
    deadLetters: DeadLetterQueue;
    visibility: VisibilityControl;
    resolveAttributes: () => Promise<AttributeIds>;
    logger: Logger;
    /** Emails reach the logs only through this keyed hash (default: a random key per process). */
    hashEmail?: EmailHasher;
  }>;

export type ProcessRecordsResult = Readonly<{
  /** Message ids SQS must deliver again (deferred, or their DLQ send failed). */
  retry: string[];
  outcomes: ReadonlyMap<string, SyncOutcome>;
  /** The decodable messages by message id (for receipt-to-customer times). */
  messages: ReadonlyMap<string, SignupMessage>;
}>;

const defaultHasher = createEmailHasher(undefined);

/** The ids of one message in every trace line about it (shared/trace/trace-events.ts). */
function messageIds(hashEmail: EmailHasher, messageId: string, message: SignupMessage | undefined) {
  return {
    messageId,
    // The id the ingest answered in its 202 (`ids`), so a sender's signup can be followed to its outcome.
    signupId: message?.id,
    idempotencyKey: message?.idempotency_key,
    sourceId: message?.source.id,
    ...(message?.signup.event_id ? { eventId: message.signup.event_id } : {}),
    emailHash: message ? hashEmail(message.signup.email) : undefined,
  };
}

/**
 * One log line per decision, the `synced` trace line: correlation ids, the attempt (SQS's receive count),
 * outcome and reason, the customer and subscriber; the email only as a keyed hash. A rejected message
 * safely in the DLQ also gets its `dead-lettered` line.
 */
function logDecision(
  logger: Logger,
  hashEmail: EmailHasher,
  record: QueueRecord,
  outcome: SyncOutcome,
  message: SignupMessage | undefined,
  deadLettered: boolean,
): void {
  const ids = messageIds(hashEmail, record.messageId, message);
  const subscriber = 'subscriber' in outcome ? outcome.subscriber : undefined;
  const subscriberId = subscriber?.subscriberId ?? ('subscriberId' in outcome ? outcome.subscriberId : undefined);
  const fields = {
    ...ids,
    ...(record.receiveCount !== undefined ? { attempt: record.receiveCount } : {}),
    outcome: outcome.status,
    ...(outcome.status === 'rejected'
      ? {
          reason: outcome.rejection.code,
          httpStatus: outcome.rejection.httpStatus,
          // BigCommerce's text may quote the address: masked, as in the dead letter's attributes.
          detail: redactEmails(outcome.rejection.detail).slice(0, 300),
          deadLettered,
        }
      : {}),
    ...(outcome.status === 'deferred' ? { reason: outcome.reason, retryAfterMs: outcome.retryAfterMs } : {}),
    ...('customerId' in outcome ? { customerId: outcome.customerId } : {}),
    ...(subscriber ? { subscriberStatus: subscriber.status } : {}),
    ...(subscriberId !== undefined ? { subscriberId } : {}),
  };
  const warn = outcome.status === 'rejected' || outcome.status === 'deferred';
  writeTrace(logger, TraceEvent.synced, 'signup decision', fields, warn ? 'warn' : 'info');
  if (outcome.status === 'rejected' && deadLettered)
    writeTrace(
      logger,
      TraceEvent.deadLettered,
      'signup dead-lettered',
      { ...ids, reason: outcome.rejection.code, httpStatus: outcome.rejection.httpStatus },
      'warn',
    );
}

/** The attributes a dead letter carries (shared/aws/sqs-dead-letter-queue.ts), which a redrive keeps; `RedrivenAt`: set by a copy redrive. */
const REDRIVE_ATTRIBUTES = ['RejectionCode', 'RejectedAt', 'OriginalMessageId', 'RedrivenAt'] as const;

/** A message that came back from the dead-letter queue (copied or moved by `signup-sync dlq redrive`): its `redriven` trace line. */
function logRedriven(logger: Logger, hashEmail: EmailHasher, record: QueueRecord, message: SignupMessage | undefined): void {
  const value = (name: (typeof REDRIVE_ATTRIBUTES)[number]) => record.attributes[name]?.StringValue;
  if (!REDRIVE_ATTRIBUTES.some((name) => value(name) !== undefined)) return;
  writeTrace(logger, TraceEvent.redriven, 'signup back from the dead-letter queue', {
    ...messageIds(hashEmail, record.messageId, message),
    ...(value('OriginalMessageId') ? { originalMessageId: value('OriginalMessageId') } : {}),
    ...(value('RejectionCode') ? { rejectionCode: value('RejectionCode') } : {}),
    ...(value('RejectedAt') ? { rejectedAt: value('RejectedAt') } : {}),
    ...(value('RedrivenAt') ? { redrivenAt: value('RedrivenAt') } : {}),
  });
}

export type ProcessRecordsOptions = Omit<SyncEngineOptions, 'attributeIds'> &
  Readonly<{
    /** Invisibility of a deferred message by delivery (default DEFERRAL_BACKOFF_SECONDS). */
    deferralBackoffSeconds?: readonly number[];
  }>;

/**
 * The sync use case: decode -> sync with BigCommerce -> rejected to the DLQ -> deferred back to SQS.
 * A message is only reported done once it is a customer or safely in the DLQ.
 */
export async function processSignupRecords(
  records: readonly QueueRecord[],
  deps: ProcessRecordsDeps,
  options: ProcessRecordsOptions,
): Promise<ProcessRecordsResult> {
  const { logger } = deps;
  const outcomes = new Map<string, SyncOutcome>();
  const items: SyncItem[] = [];
  const hashEmail = deps.hashEmail ?? defaultHasher;
  for (const record of records) {
    const decoded = decodeSignupMessage(record.body);
    if (decoded.ok) items.push({ id: record.messageId, message: decoded.message });
    else outcomes.set(record.messageId, { status: 'rejected', rejection: decoded.rejection });
    logRedriven(logger, hashEmail, record, decoded.ok ? decoded.message : undefined);
  }

  if (items.length > 0) {
    let attributeIds: AttributeIds | undefined;
    try {
      attributeIds = await deps.resolveAttributes();
    } catch (error) {
      logger.error('custom field mapping cannot be resolved; deferring the batch', describeError(error));
      for (const item of items) outcomes.set(item.id, { status: 'deferred', reason: 'configuration' });
    }
    if (attributeIds) {
      for (const [id, outcome] of await syncSignups(items, deps, { ...options, attributeIds })) outcomes.set(id, outcome);
    }
  }

  const byId = new Map(records.map((record) => [record.messageId, record]));
  const retry = new Set<string>();
  const rejected: RejectedRecord[] = [];
  const delayed: { messageId: string; receiptHandle: string; seconds: number }[] = [];
  for (const [id, outcome] of outcomes) {
    const record = byId.get(id)!;
    if (outcome.status === 'rejected') rejected.push({ messageId: id, body: record.body, attributes: record.attributes, rejection: outcome.rejection });
    if (outcome.status === 'deferred') {
      retry.add(id);
      const seconds = redeliveryDelaySeconds(outcome.reason, record.receiveCount, outcome.retryAfterMs, options.deferralBackoffSeconds);
      if (seconds !== undefined) delayed.push({ messageId: id, receiptHandle: record.receiptHandle, seconds });
    }
  }

  try {
    await deps.deadLetters.send(rejected);
  } catch (error) {
    // Not in the DLQ means not done: SQS delivers them again and the redrive policy still applies.
    logger.error('dead-letter send failed; the rejected messages will be retried', { ...describeError(error), count: rejected.length });
    for (const record of rejected) retry.add(record.messageId);
  }
  if (delayed.length > 0) {
    try {
      await deps.visibility.delay(delayed);
    } catch (error) {
      // Best effort: without it the message simply returns after the queue's visibility timeout.
      logger.warn('could not extend visibility of deferred messages', describeError(error));
    }
  }

  const messages = new Map(items.map((item) => [item.id, item.message]));
  const counts: Record<string, number> = {};
  for (const [id, outcome] of outcomes) {
    counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
    logDecision(logger, hashEmail, byId.get(id)!, outcome, messages.get(id), outcome.status === 'rejected' && !retry.has(id));
  }
  logger.info('batch synced', { records: records.length, ...counts });
  return { retry: [...retry], outcomes, messages };
}
