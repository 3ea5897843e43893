import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { describeError, type Logger } from '../logger';
import { createEmailHasher, type EmailHasher } from '../observability/email-hash';
import { redactEmails } from '../observability/redact';
import type { SignupMessage } from '../signup/signup-schema';
import { loggableEventId, TraceEvent, writeTrace } from '../trace/trace-events';
import { type ConsentDeps, type DecodedMessage, finishConsent, prepareConsent } from './consent-stage';
import type { AttributeIds } from './customer-mapping';
import type { DeadLetterQueue, RejectedRecord, VisibilityControl } from './dead-letters';
import { decodeQueueMessage } from './decode-message';
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
    /** Consent evidence, erasures and double opt-in (shared/sync/consent-stage.ts); absent: none of them (tests, benches). */
    consent?: ConsentDeps;
    /** The clock of the receipt-to-customer time on each decision line and of the consent work (default Date.now). */
    now?: () => number;
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
  const eventId = loggableEventId(message?.signup.event_id);
  return {
    messageId,
    // The id the ingest answered in its 202 (`ids`), so a sender's signup can be followed to its outcome.
    signupId: message?.id,
    idempotencyKey: message?.idempotency_key,
    sourceId: message?.source.id,
    ...(eventId ? { eventId } : {}),
    emailHash: message ? hashEmail(message.signup.email) : undefined,
  };
}

/**
 * One log line per decision, the `synced` trace line: correlation ids, the attempt (SQS's receive count),
 * outcome and reason, the customer and the newsletter part, and for a customer the time from the ingest's
 * receipt (Logs Insights percentiles of it replace a latency metric, docs/operations.md); the email only
 * as a keyed hash. A rejected message safely in the DLQ also gets its `dead-lettered` line.
 */
function logDecision(
  logger: Logger,
  hashEmail: EmailHasher,
  record: QueueRecord,
  outcome: SyncOutcome,
  message: SignupMessage | undefined,
  deadLettered: boolean,
  nowMs: number,
): void {
  const ids = messageIds(hashEmail, record.messageId, message);
  const subscriber = 'subscriber' in outcome ? outcome.subscriber : undefined;
  const subscriberId = subscriber?.subscriberId ?? ('subscriberId' in outcome ? outcome.subscriberId : undefined);
  const receivedMs = Date.parse(message?.received_at ?? '');
  const customer = outcome.status === 'created' || outcome.status === 'existed' || outcome.status === 'updated';
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
    ...(subscriber ? { subscriber: subscriber.status } : {}),
    ...(subscriberId !== undefined ? { subscriberId } : {}),
    ...(customer && Number.isFinite(receivedMs) ? { receiptToCustomerMs: Math.max(0, nowMs - receivedMs) } : {}),
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
  const now = deps.now ?? Date.now;
  const outcomes = new Map<string, SyncOutcome>();
  const decoded: DecodedMessage[] = [];
  const hashEmail = deps.hashEmail ?? defaultHasher;
  for (const record of records) {
    const result = decodeQueueMessage(record.body);
    logRedriven(logger, hashEmail, record, result.ok && result.kind === 'signup' ? result.message : undefined);
    if (!result.ok) outcomes.set(record.messageId, { status: 'rejected', rejection: result.rejection });
    else if (result.kind === 'signup') decoded.push({ kind: 'signup', id: record.messageId, message: result.message });
    else if (deps.consent) decoded.push({ kind: 'confirmation', id: record.messageId, message: result.message });
    else
      outcomes.set(record.messageId, {
        status: 'rejected',
        rejection: { code: 'double-opt-in-unconfigured', detail: 'A double opt-in confirmation, but this sync has no consent table' },
      });
  }

  // Erasures, double opt-in and the confirmations first (one read of the consent table per batch).
  const plan = deps.consent ? await prepareConsent(decoded, deps.consent, now(), logger) : undefined;
  const items: SyncItem[] = plan?.items ?? decoded.flatMap((item) => (item.kind === 'signup' ? [{ id: item.id, message: item.message }] : []));
  const engineOutcomes = new Map<string, SyncOutcome>();
  if (items.length > 0) {
    let attributeIds: AttributeIds | undefined;
    try {
      attributeIds = await deps.resolveAttributes();
    } catch (error) {
      logger.error('custom field mapping cannot be resolved; deferring the batch', describeError(error));
      for (const item of items) engineOutcomes.set(item.id, { status: 'deferred', reason: 'configuration' });
    }
    if (attributeIds) {
      for (const [id, outcome] of await syncSignups(items, deps, { ...options, attributeIds })) engineOutcomes.set(id, outcome);
    }
  }
  const finished = plan && deps.consent ? await finishConsent(plan, engineOutcomes, deps.consent, now(), logger) : engineOutcomes;
  for (const [id, outcome] of finished) outcomes.set(id, outcome);

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

  // The messages as received (a confirmation: the signup it confirmed), for the logs and the metrics.
  const messages = new Map(items.map((item) => [item.id, item.message]));
  for (const item of decoded) if (item.kind === 'signup' && !messages.has(item.id)) messages.set(item.id, item.message);
  const nowMs = now();
  for (const [id, outcome] of outcomes) {
    logDecision(logger, hashEmail, byId.get(id)!, outcome, messages.get(id), outcome.status === 'rejected' && !retry.has(id), nowMs);
  }
  // The batch's own line (`batch synced`, with its BigCommerce figures) is the wiring's: functions/sync/build-handler.ts.
  return { retry: [...retry], outcomes, messages };
}
