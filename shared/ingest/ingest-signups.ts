import type { CaptchaVerifier } from '../captcha/verify-captcha';
import { checkBodySize, parseJsonBody } from '../http-input/body';
import { HttpProblemError } from '../http-input/errors';
import { MAX_CANONICAL_BODY_BYTES } from '../http-input/limits';
import type { RawRequest } from '../http-input/request';
import type { Logger } from '../logger';
import { QueueError } from '../queue/errors';
import { DEFAULT_NAMELESS_POLICY, type NamelessPolicy } from '../signup/nameless-policy';
import type { ConfirmationMessage, SignupMessage, SignupSource } from '../signup/signup-schema';
import type { SourceSecret } from '../sources/adapters';
import { authenticateStandardWebhook } from '../sources/adapters/standard-webhooks';
import { withAnySecret } from '../sources/auth';
import { SourceConfigError } from '../sources/errors';
import { toEventId } from '../sources/field-map';
import type { SourceConfig } from '../sources/source-config';
import { type EmailHasher, emailHashOf, type TracedSignup, TraceEvent, tracedSignup, writeTrace } from '../trace/trace-events';
import * as z from '../zod-mini';
import type { ClientLimitDeps } from './client-limit';
import type { ConfirmationDeps } from './confirm-subscription';
import {
  type Delivery,
  type DeliveryLedger,
  type DeliveryReceipt,
  deliveryKey,
  type LedgerResult,
  NO_DELIVERY_LEDGER,
  payloadHash,
  singleEventId,
} from './delivery-ledger';
import { DeliveryConflictError, DeliveryInProgressError } from './errors';
import { CANONICAL_SOURCE_CONFIG, CANONICAL_SOURCE_ID, type SourceSecrets } from './ingest-sources';
import { parseSignupBatch, toSignupMessages } from './signup-batch';
import type { SignupQueue } from './signup-queue';
import type { UnmappableDeadLetters } from './unmappable';

/**
 * On a 2xx that repeats an earlier answer (shared/ingest/delivery-ledger.ts): nothing was enqueued, so the
 * metrics count a repeat, not accepted signups. Harmless for senders, who only read the status.
 */
export const DELIVERY_REPEATED_HEADER = 'delivery-repeated';

/** Seconds a sender should wait after a 503 before retrying (SQS throttling and outages are short). */
export const QUEUE_RETRY_AFTER_SECONDS = 5;

export const CANONICAL_SOURCE: SignupSource = { id: CANONICAL_SOURCE_ID, kind: 'canonical' };

/** The 202 (and ignored-event 200) body. */
export const ingestResultSchema = z
  .strictObject({
    accepted: z.int().check(z.nonnegative(), z.meta({ description: 'Signups put on the queue' })),
    ids: z.array(z.string()).check(z.meta({ description: 'Message ids, one per accepted signup (for support and tracing)' })),
    ignored: z.optional(z.literal(true)).check(z.meta({ description: 'Present on a 200: the event was authentic but is not a signup' })),
  })
  .check(z.meta({ description: 'Every listed signup is in the queue.' }));
export type IngestResult = z.infer<typeof ingestResultSchema>;

export type IngestDeps = Readonly<{
  queue: SignupQueue;
  /** The configured sources (shared/config/ingest-config.ts `sources`); POST /signups is not among them. */
  sources: readonly SourceConfig[];
  /** The sources secret, parsed and checked; cached by the caller (shared/aws/sources-secret.ts). */
  sourceSecrets: () => Promise<SourceSecrets>;
  logger: Logger;
  /** Records each delivery before it is enqueued, so a repeat is answered without enqueueing (none: every delivery is enqueued). */
  ledger?: DeliveryLedger;
  /** Checks html-form CAPTCHA tokens with the provider (default: shared/captcha/siteverify-client.ts over node:https). */
  captcha?: CaptchaVerifier;
  /** Counts html-form posts per client (./client-limit.ts); none: no limit (tests). */
  clientLimit?: ClientLimitDeps;
  /** Custom field names the sync sends to customer attributes: more than 10 in one signup is a field error. */
  attributeFields?: ReadonlySet<string>;
  /** POST /signups: also accept the `api` secret as a bearer token (default true; false: signatures only). */
  signupsBearerToken?: boolean;
  /** What a signup without names becomes, unless its source says otherwise (default: a newsletter subscriber). */
  namelessPolicy?: NamelessPolicy;
  /** Where unmappable signups of webhook deliveries go (shared/ingest/unmappable.ts); none: such a delivery is refused with 422. */
  unmappable?: UnmappableDeadLetters;
  /** The double opt-in links' key and the pending requests they name (./confirm-subscription.ts); none: GET /confirm answers 404. */
  confirmations?: ConfirmationDeps;
  now?: () => Date;
  newId?: () => string;
  /** Emails reach the trace lines only through this keyed hash (shared/trace/trace-events.ts); none: no hashes are written. */
  hashEmail?: EmailHasher;
  /**
   * Told of every request to a configured source that was an authentic delivery (answered 2xx, signups or
   * not) or refused for its signature or token (401): the per-source metrics behind the silence and
   * signature-failure alarms (shared/observability/source-metrics.ts).
   */
  onSourceOutcome?: (sourceId: string, outcome: SourceOutcome) => void;
}>;

/** What a request to a configured source was, for its per-source metrics. */
export type SourceOutcome = 'delivered' | 'auth-refused';

/** The trace line's view of queued messages: ingest id, email hash, event id. */
export function tracedMessages(hashEmail: EmailHasher | undefined, messages: readonly SignupMessage[]): TracedSignup[] {
  return messages.map((message) => tracedSignup({ signupId: message.id, emailHash: emailHashOf(hashEmail, message.signup), eventId: message.signup.event_id }));
}

/** The trace line's view of signup candidates not (or not yet) queued: email hash and event id. */
export function tracedCandidates(hashEmail: EmailHasher | undefined, candidates: readonly Readonly<Record<string, unknown>>[]): TracedSignup[] {
  return candidates.map((candidate) => tracedSignup({ emailHash: emailHashOf(hashEmail, candidate), eventId: candidate['event_id'] }));
}

/** Enqueues messages, turning queue trouble into the answer the sender needs (503 = try again). */
export async function enqueueOrProblem(queue: SignupQueue, messages: readonly (SignupMessage | ConfirmationMessage)[]): Promise<void> {
  try {
    await queue.enqueue(messages);
  } catch (error) {
    if (error instanceof QueueError && error.retryable)
      throw serviceUnavailable('The signup queue is unavailable; retry later. Nothing was lost on our side.', error);
    throw error;
  }
}

/** 503 + Retry-After: a temporary failure on our side; the sender should try again. */
export function serviceUnavailable(detail: string, cause: unknown, retryAfterSeconds = QUEUE_RETRY_AFTER_SECONDS): HttpProblemError {
  return new HttpProblemError({ title: 'Service Unavailable', status: 503, detail }, { cause, headers: { 'retry-after': String(retryAfterSeconds) } });
}

/**
 * Enqueues one delivery at most once (shared/ingest/delivery-ledger.ts): `beforeEnqueue` (a CAPTCHA
 * check: its token is single-use, so a double click must be folded before it is spent twice) and the
 * enqueue run only for a delivery not already recorded; a repeat (same key, same payload) gets the first
 * attempt's receipt. The same key with another payload throws DeliveryConflictError for the caller.
 */
export async function enqueueOnce(
  deps: Pick<IngestDeps, 'queue' | 'ledger' | 'logger' | 'hashEmail'>,
  delivery: Delivery,
  messages: readonly SignupMessage[],
  beforeEnqueue?: () => Promise<void>,
  /** The sender's id for the delivery, for the `repeat` trace line. */
  deliveryId?: string,
): Promise<LedgerResult<DeliveryReceipt>> {
  const deliver = async () => {
    await beforeEnqueue?.();
    await enqueueOrProblem(deps.queue, messages);
    return { accepted: messages.length, ids: messages.map((message) => message.id) };
  };
  const waitUntil = Date.now() + IN_PROGRESS_WAIT_MS;
  for (;;) {
    try {
      const result = await (deps.ledger ?? NO_DELIVERY_LEDGER).once(delivery, deliver);
      if (result.repeat) {
        // `ids` are the first answer's (the signups this repeat stands for); the hashes and event ids are this copy's.
        writeTrace(deps.logger, TraceEvent.repeat, 'delivery repeated: answered as before, nothing enqueued', {
          accepted: result.receipt.accepted,
          ids: result.receipt.ids,
          ...(deliveryId !== undefined ? { deliveryId } : {}),
          signups: messages.map((message) => tracedSignup({ emailHash: emailHashOf(deps.hashEmail, message.signup), eventId: message.signup.event_id })),
        });
      }
      return result;
    } catch (error) {
      if (!(error instanceof DeliveryInProgressError)) throw error;
      // A concurrent copy (a double click, a sender retrying while the first attempt still runs) usually
      // finishes within milliseconds: wait for its outcome rather than answer an error the browser shows.
      if (Date.now() >= waitUntil) throw serviceUnavailable('The same delivery is being processed right now; retry later.', error, error.retryAfterSeconds);
      await new Promise((resolve) => setTimeout(resolve, IN_PROGRESS_POLL_MS));
    }
  }
}

/**
 * POST /signups, a delivery key already recorded for another signup: the caller reused its own id (a
 * signup's `event_id`, or the `webhook-id` it signed) for a different signup. Answered 409, nothing
 * enqueued: a repeat must send the same signup, a new signup needs a new id. Names the field, never values.
 */
export function reusedIdProblem(idFrom: 'event_id' | 'webhook-id', batched: boolean): HttpProblemError {
  const pointer = batched ? '/0/event_id' : '/event_id';
  return new HttpProblemError({
    title: 'Conflict',
    status: 409,
    detail:
      idFrom === 'event_id'
        ? 'This event_id was already used for a different signup. A retry must send the same signup; a new signup needs a new event_id. Nothing was enqueued.'
        : 'This webhook-id (the event id of signups without event_id) was already used for a different payload. A retry must send the same payload; a new one needs a new webhook-id. Nothing was enqueued.',
    ...(idFrom === 'event_id' ? { errors: [{ path: pointer, message: 'Already used for a different signup' }] } : {}),
  });
}

/** How long a copy waits for the attempt in progress before it is answered 503 (the function has 10 s). */
const IN_PROGRESS_WAIT_MS = 3_000;
const IN_PROGRESS_POLL_MS = 100;

/**
 * The checked secrets, or 503 when Secrets Manager cannot be read (a throttle, an outage, a missing
 * permission after a bad deploy: all worth a retry by the sender once fixed).
 */
export async function loadSourceSecrets(deps: Pick<IngestDeps, 'sourceSecrets'>): Promise<SourceSecrets> {
  try {
    return await deps.sourceSecrets();
  } catch (error) {
    throw serviceUnavailable('The sources secret cannot be read right now; retry later.', error);
  }
}

/** The checked secret entry of one source, or a SourceConfigError (500, logged with the problems, not shown). */
export function secretOf(secrets: SourceSecrets, sourceId: string): SourceSecret {
  const secret = secrets.secrets.get(sourceId);
  if (secret === undefined) {
    const problems = secrets.problems.filter((problem) => problem.startsWith(`${sourceId}:`));
    throw new SourceConfigError(`The sources secret has no usable entry for source ${sourceId}`, { issues: problems });
  }
  return secret;
}

/**
 * POST /signups: canonical JSON, one signup or up to 100, authenticated with the `api` entry of the
 * sources secret: a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) over the raw body, or `Authorization: Bearer <secret>`. A signed request's
 * `webhook-id` is the event id (so the idempotency key) of signups that carry none.
 */
export async function ingestCanonicalSignups(request: RawRequest, deps: IngestDeps): Promise<Readonly<{ result: IngestResult; repeat: boolean }>> {
  const { logger, now = () => new Date(), newId } = deps;
  logger.appendKeys({ sourceId: CANONICAL_SOURCE.id, sourceKind: CANONICAL_SOURCE.kind });
  checkBodySize(request.body, MAX_CANONICAL_BODY_BYTES);
  const secret = secretOf(await loadSourceSecrets(deps), CANONICAL_SOURCE_ID);
  const receivedAt = now();
  const { webhookId } = withAnySecret(secret.values, (value) =>
    authenticateStandardWebhook(request, value, {
      now: receivedAt,
      toleranceSeconds: CANONICAL_SOURCE_CONFIG.toleranceSeconds,
      acceptBearerToken: deps.signupsBearerToken ?? CANONICAL_SOURCE_CONFIG.acceptBearerToken,
    }),
  );
  const payload = parseJsonBody(request, 'required');
  // `receivedAt`: a signup dated in the future would outrank what happened after it (shared/signup/event-time.ts).
  let marked: ReturnType<typeof parseSignupBatch>;
  try {
    marked = parseSignupBatch(payload, {
      nameless: deps.namelessPolicy ?? DEFAULT_NAMELESS_POLICY,
      ...(deps.attributeFields ? { attributeFields: deps.attributeFields } : {}),
      receivedAt,
    });
  } catch (error) {
    // The refusal's trace line names the signups it refused by email hash, so `signup-sync trace <email>` finds it.
    if (error instanceof HttpProblemError) error.withTraceFields({ signups: tracedCandidates(deps.hashEmail, candidateObjects(payload)) });
    throw error;
  }
  const signups = marked.map((item) => item.signup);
  const withEventIds =
    webhookId === undefined
      ? marked
      : marked.map((item, index) => ({
          ...item,
          signup: { ...item.signup, event_id: item.signup.event_id ?? toEventId(signups.length === 1 ? webhookId : `${webhookId}:${index}`) },
        }));
  const messages = toSignupMessages(withEventIds, { source: CANONICAL_SOURCE, receivedAt, ...(newId ? { newId } : {}) });
  // The payload is the canonical signups, so a retry serialized differently is still the same delivery.
  const delivery = {
    key: deliveryKey(CANONICAL_SOURCE_ID, webhookId ?? singleEventId(signups), request.body),
    payloadHash: payloadHash(withEventIds.map((item) => item.signup)),
  };
  const deliveryId = webhookId ?? singleEventId(signups);
  try {
    const { receipt, repeat } = await enqueueOnce(deps, delivery, messages, undefined, deliveryId);
    if (!repeat)
      writeTrace(logger, TraceEvent.queued, 'signups accepted', {
        accepted: receipt.accepted,
        ids: receipt.ids,
        ...(deliveryId !== undefined ? { deliveryId } : {}),
        signups: tracedMessages(deps.hashEmail, messages),
      });
    return { result: { accepted: receipt.accepted, ids: [...receipt.ids] }, repeat };
  } catch (error) {
    if (!(error instanceof DeliveryConflictError)) throw error;
    const idFrom = webhookId !== undefined ? 'webhook-id' : 'event_id';
    logger.warn('delivery id reused for a different signup: refused with 409', { idFrom });
    throw reusedIdProblem(idFrom, Array.isArray(payload)).withTraceFields({
      ...(deliveryId !== undefined ? { deliveryId } : {}),
      signups: tracedCandidates(deps.hashEmail, signups),
    });
  }
}

/** The objects of a POST /signups body (one or an array), whatever else it holds. */
function candidateObjects(payload: unknown): Readonly<Record<string, unknown>>[] {
  const items = Array.isArray(payload) ? payload.slice(0, 100) : [payload];
  return items.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item));
}
