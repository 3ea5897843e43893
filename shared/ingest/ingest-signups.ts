import type { CaptchaVerifier } from '../captcha/verify-captcha';
import { checkBodySize, parseJsonBody } from '../http-input/body';
import { HttpProblemError } from '../http-input/errors';
import { MAX_CANONICAL_BODY_BYTES } from '../http-input/limits';
import type { RawRequest } from '../http-input/request';
import type { Logger } from '../logger';
import { QueueError } from '../queue/errors';
import type { NamelessPolicy } from '../signup/nameless-policy';
import type { SignupMessage, SignupSource } from '../signup/signup-schema';
import type { SourceSecret } from '../sources/adapters';
import { authenticateStandardWebhook } from '../sources/adapters/standard-webhooks';
import { withAnySecret } from '../sources/auth';
import { SourceConfigError } from '../sources/errors';
import { toEventId } from '../sources/field-map';
import type { SourceConfig } from '../sources/source-config';
import * as z from '../zod-mini';
import { attributeLimitProblems } from './attribute-limit';
import type { ClientLimitDeps } from './client-limit';
import { type DeliveryLedger, type DeliveryReceipt, deliveryKey, type LedgerResult, NO_DELIVERY_LEDGER, singleEventId } from './delivery-ledger';
import { DeliveryInProgressError } from './errors';
import { CANONICAL_SOURCE_CONFIG, CANONICAL_SOURCE_ID, type SourceSecrets } from './ingest-sources';
import { parseSignupBatch, toSignupMessages, validationProblem } from './signup-batch';
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
  /** Checks html-form CAPTCHA tokens with the provider (default: shared/captcha/siteverify-client.ts over fetch). */
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
  now?: () => Date;
  newId?: () => string;
}>;

/** Enqueues messages, turning queue trouble into the answer the sender needs (503 = try again). */
export async function enqueueOrProblem(queue: SignupQueue, messages: readonly SignupMessage[]): Promise<void> {
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
 * enqueue run only for a delivery not already recorded; a repeat gets the first attempt's receipt.
 */
export async function enqueueOnce(
  deps: Pick<IngestDeps, 'queue' | 'ledger' | 'logger'>,
  key: string,
  messages: readonly SignupMessage[],
  beforeEnqueue?: () => Promise<void>,
): Promise<LedgerResult<DeliveryReceipt>> {
  const deliver = async () => {
    await beforeEnqueue?.();
    await enqueueOrProblem(deps.queue, messages);
    return { accepted: messages.length, ids: messages.map((message) => message.id) };
  };
  const waitUntil = Date.now() + IN_PROGRESS_WAIT_MS;
  for (;;) {
    try {
      const result = await (deps.ledger ?? NO_DELIVERY_LEDGER).once(key, deliver);
      if (result.repeat)
        deps.logger.info('delivery repeated: answered as before, nothing enqueued', { accepted: result.receipt.accepted, ids: result.receipt.ids });
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
  const signups = parseSignupBatch(parseJsonBody(request, 'required'), deps.namelessPolicy);
  const attributeProblems = signups.flatMap((signup, index) =>
    attributeLimitProblems(signup, deps.attributeFields ?? new Set(), signups.length > 1 ? [index] : []),
  );
  if (attributeProblems.length > 0) throw validationProblem(attributeProblems);
  const withEventIds =
    webhookId === undefined
      ? signups
      : signups.map((signup, index) => ({
          ...signup,
          event_id: signup.event_id ?? toEventId(signups.length === 1 ? webhookId : `${webhookId}:${index}`),
        }));
  const messages = toSignupMessages(withEventIds, { source: CANONICAL_SOURCE, receivedAt, ...(newId ? { newId } : {}) });
  const key = deliveryKey(CANONICAL_SOURCE_ID, webhookId ?? singleEventId(signups), request.body);
  const { receipt, repeat } = await enqueueOnce(deps, key, messages);
  return { result: { accepted: receipt.accepted, ids: [...receipt.ids] }, repeat };
}
