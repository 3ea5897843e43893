import * as z from 'zod';
import { HttpProblemError } from '../http/problem';
import { MAX_BODY_BYTES, parseJsonBody } from '../http/request-body';
import type { Logger } from '../logger';
import { QueueError } from '../queue/errors';
import type { SignupQueue } from '../queue/signup-queue';
import type { SignupMessage, SignupSource } from '../signup/signup-schema';
import { authenticateStandardWebhook } from '../sources/adapters/standard-webhooks';
import { SourceConfigError } from '../sources/errors';
import { headerValue } from '../sources/auth';
import { toEventId } from '../sources/field-map';
import type { RawRequest } from '../sources/source-adapter';
import type { SourceConfig } from '../sources/source-config';
import { CANONICAL_SOURCE_CONFIG, CANONICAL_SOURCE_ID, type SourceSecrets } from './ingest-sources';
import { parseSignupBatch, toSignupMessages } from './signup-batch';

/** Seconds a sender should wait after a 503 before retrying (SQS throttling and outages are short). */
export const QUEUE_RETRY_AFTER_SECONDS = 5;

export const CANONICAL_SOURCE: SignupSource = { id: CANONICAL_SOURCE_ID, kind: 'canonical' };

/** The 202 (and ignored-event 200) body. */
export const ingestResultSchema = z
  .strictObject({
    accepted: z.int().nonnegative().meta({ description: 'Signups put on the queue' }),
    ids: z.array(z.string()).meta({ description: 'Message ids, one per accepted signup (for support and tracing)' }),
    ignored: z.literal(true).optional().meta({ description: 'Present on a 200: the event was authentic but is not a signup' }),
  })
  .meta({ description: 'Every listed signup is in the queue.' });
export type IngestResult = z.infer<typeof ingestResultSchema>;

export type IngestDeps = Readonly<{
  queue: SignupQueue;
  /** The configured sources (shared/config.ts `sources`); POST /signups is not among them. */
  sources: readonly SourceConfig[];
  /** The sources secret, parsed and checked; cached by the caller (shared/ingest/source-secrets-provider.ts). */
  sourceSecrets: () => Promise<SourceSecrets>;
  logger: Logger;
  now?: () => Date;
  newId?: () => string;
}>;

/** Enqueues messages, turning queue trouble into the answer the sender needs (503 = try again). */
export async function enqueueOrProblem(queue: SignupQueue, messages: readonly SignupMessage[]): Promise<void> {
  try {
    await queue.enqueue(messages);
  } catch (error) {
    if (error instanceof QueueError && error.retryable) throw serviceUnavailable('The signup queue is unavailable; retry later. Nothing was lost on our side.', error);
    throw error;
  }
}

/** 503 + Retry-After: a temporary failure on our side; the sender should try again. */
export function serviceUnavailable(detail: string, cause: unknown): HttpProblemError {
  return new HttpProblemError(
    { title: 'Service Unavailable', status: 503, detail },
    { cause, headers: { 'retry-after': String(QUEUE_RETRY_AFTER_SECONDS) } },
  );
}

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

/** The secret of one source, or a SourceConfigError (500, logged with the problems, not shown). */
export function secretOf(secrets: SourceSecrets, sourceId: string): string {
  const secret = secrets.secrets.get(sourceId);
  if (secret === undefined) {
    const problems = secrets.problems.filter((problem) => problem.startsWith(`${sourceId}:`));
    throw new SourceConfigError(`The sources secret has no usable entry for source ${sourceId}`, { issues: problems });
  }
  return secret;
}

export function checkCanonicalBodySize(body: Buffer): void {
  if (body.length > MAX_BODY_BYTES) {
    throw new HttpProblemError({ title: 'Content Too Large', status: 413, detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` });
  }
}

/**
 * POST /signups: canonical JSON, one signup or up to 100, authenticated with the `api` entry of the
 * sources secret: a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) over the raw body, or `Authorization: Bearer <secret>`. A signed request's
 * `webhook-id` is the event id (so the idempotency key) of signups that carry none.
 */
export async function ingestCanonicalSignups(request: RawRequest, deps: IngestDeps): Promise<IngestResult> {
  const { queue, logger, now = () => new Date(), newId } = deps;
  logger.appendKeys({ sourceId: CANONICAL_SOURCE.id, sourceKind: CANONICAL_SOURCE.kind });
  checkCanonicalBodySize(request.body);
  const secret = secretOf(await loadSourceSecrets(deps), CANONICAL_SOURCE_ID);
  const receivedAt = now();
  const { webhookId } = authenticateStandardWebhook(request, secret, {
    now: receivedAt,
    toleranceSeconds: CANONICAL_SOURCE_CONFIG.toleranceSeconds,
    acceptBearerToken: CANONICAL_SOURCE_CONFIG.acceptBearerToken,
  });
  const signups = parseSignupBatch(parseJsonBody(request.body, headerValue(request.headers, 'content-type')));
  const withEventIds =
    webhookId === undefined
      ? signups
      : signups.map((signup, index) => ({
          ...signup,
          event_id: signup.event_id ?? toEventId(signups.length === 1 ? webhookId : `${webhookId}:${index}`),
        }));
  const messages = toSignupMessages(withEventIds, { source: CANONICAL_SOURCE, receivedAt, ...(newId ? { newId } : {}) });
  await enqueueOrProblem(queue, messages);
  return { accepted: messages.length, ids: messages.map((message) => message.id) };
}
