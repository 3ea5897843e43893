import { createSiteverifyClient } from '../captcha/siteverify-client';
import { hostnamesOf, verifyCaptcha } from '../captcha/verify-captcha';
import { PROBLEM_CONTENT_TYPE, statusTitle } from '../http-input/problem-document';
import { logRefusal, toRefusal } from '../http-input/refusal';
import type { HttpReply, RawRequest } from '../http-input/request';
import { DEFAULT_NAMELESS_POLICY, namelessPolicyFor } from '../signup/nameless-policy';
import type { SignupSource } from '../signup/signup-schema';
import type { SourceSecret } from '../sources/adapters';
import { adapterFor, decideSource } from '../sources/adapters';
import { SourceAuthError, SourceConfigError } from '../sources/errors';
import { withSourceIntent } from '../sources/intent';
import type { PresentOutcome, ReplyPurpose } from '../sources/source-adapter';
import { type SourceConfig, sourceRouteSegment } from '../sources/source-config';
import { emailHashOf, TRACE_FIELD, type TracedSignup, TraceEvent, tracedSignup, writeTrace } from '../trace/trace-events';
import { checkClientLimit } from './client-limit';
import { bodyHash, conflictKey, type Delivery, deliveryKey, payloadHash, singleEventId } from './delivery-ledger';
import { ClientLimitedError, DeliveryConflictError } from './errors';
import { IGNORED_EVENTS_HEADER, INCOMPLETE_COUNT_HEADER, INCOMPLETE_REASON, splitIncomplete } from './incomplete';
import {
  DELIVERY_REPEATED_HEADER,
  enqueueOnce,
  type IngestDeps,
  type IngestResult,
  loadSourceSecrets,
  type SourceOutcome,
  secretOf,
  serviceUnavailable,
  tracedMessages,
} from './ingest-signups';
import type { SourceSecrets } from './ingest-sources';
import { capFutureEventTimes, toSignupMessages, validationProblem } from './signup-batch';
import { signupEvidence } from './signup-evidence';
import { checkSourceSignups, describeProblems, type FailedSignup, UNMAPPABLE_COUNT_HEADER, type UnmappableLetter, unmappableLetters } from './unmappable';

/**
 * `POST|GET|OPTIONS /sources/{sourceId}`: authenticate -> decode -> adapt (the source's adapter) ->
 * validate (signupSchema) -> enqueue -> answer.
 *
 * Answers, chosen with the senders' retry rules in mind (docs/sources.md):
 * - 401 for a missing or bad signature or token, and for an unknown source id (never 404 or 410:
 *   Typeform disables a webhook on 404/410, ActiveCampaign on 410; and probing reveals nothing);
 * - 200 for an authentic event that is not a signup (nothing enqueued), and for a delivery whose
 *   signups are all incomplete when the source ignores incomplete submissions (shared/ingest/incomplete.ts);
 * - the adapter's own reply for handshakes and CORS preflights;
 * - 202 once SQS has every message; 422 when a signup is invalid (the request is refused as a whole);
 * - 503 + Retry-After when the queue or the sources secret is temporarily unavailable.
 * An html-form source answers through its adapter's `present` (303 to its thank-you or error URL, or
 * JSON for fetch posts). Refusals are problem documents (application/problem+json).
 */

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** What the message says about its source: id, kind and the source's customer defaults for the sync. */
export function messageSource(source: SourceConfig): SignupSource {
  const defaults = source.customerDefaults;
  const customerDefaults = defaults && {
    ...(defaults.channelIds ? { channel_ids: defaults.channelIds } : {}),
    ...(defaults.customerGroupId !== undefined ? { customer_group_id: defaults.customerGroupId } : {}),
    ...(defaults.sendWelcomeEmail !== undefined ? { send_welcome_email: defaults.sendWelcomeEmail } : {}),
  };
  return {
    id: source.id,
    kind: source.kind,
    ...(customerDefaults && Object.keys(customerDefaults).length > 0 ? { customer_defaults: customerDefaults } : {}),
    ...(source.consentVersion !== undefined ? { consent_version: source.consentVersion } : {}),
    // What waits for the confirmation: a newsletter box writes nothing before it (shared/consent/double-opt-in.ts).
    ...(source.doubleOptIn !== undefined ? { double_opt_in: source.intent === 'newsletter' ? ('everything' as const) : ('subscriber' as const) } : {}),
  };
}

/** An adapter's refusal reply (405, a failed preflight) as a problem document, keeping its headers (Allow, Vary). */
function replyAsProblem(reply: HttpReply): HttpReply {
  if (reply.status < 400) return reply;
  const { 'content-type': _ignored, ...headers } = reply.headers ?? {};
  return {
    status: reply.status,
    headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify({ type: 'about:blank', title: statusTitle(reply.status), status: reply.status }),
  };
}

type Outcome =
  /** The adapter's own answer (handshake, preflight, honeypot, 405). */
  | { readonly type: 'reply'; readonly reply: HttpReply }
  /** `events`: the events an authentic non-signup delivery held; `incomplete`: signups the source ignores as incomplete. */
  | { readonly type: 'ignored'; readonly events?: number; readonly incomplete?: number }
  | {
      readonly type: 'accepted';
      readonly ids: readonly string[];
      readonly repeat?: boolean;
      readonly unmappable?: number;
      readonly incomplete?: number;
    };

/** The flow up to an outcome, throwing refusals. */
async function process(request: RawRequest, source: SourceConfig, deps: IngestDeps): Promise<Outcome> {
  const { logger, now = () => new Date(), newId } = deps;
  const receivedAt = now();
  // A public form's post is counted against its client's limit while the sources secret loads: the count
  // needs none of it, and on a cold start its call overlaps the secret's (docs/benchmarks.md, cold answer).
  const [secrets, overLimit] = await Promise.all([loadSourceSecrets(deps), countFormPost(request, source, deps, receivedAt)]);
  const secret = secretOf(secrets, source.id);
  const decision = decideSource(request, { source, secret, now: receivedAt });
  const adapter = adapterFor(source);
  if (decision.type === 'reply') {
    const { type: _type, purpose, ...reply } = decision;
    traceReply(logger, reply.status, purpose);
    return { type: 'reply', reply: replyAsProblem(reply) };
  }
  // Read after `decide` authenticated the request (source-adapter.ts: only a signed id is one).
  const signedDeliveryId = adapter.keyedByBody ? undefined : adapter.deliveryId?.(request);
  if (decision.type === 'ignore') {
    writeTrace(logger, TraceEvent.ignored, 'event ignored', {
      reason: decision.reason,
      events: decision.count ?? 1,
      ...(signedDeliveryId !== undefined ? { deliveryId: signedDeliveryId } : {}),
    });
    return { type: 'ignored', events: decision.count ?? 1 };
  }
  // Over its client's limit, a public form's signup post stops before anything costs more (the CAPTCHA
  // call, the ledger, the queue); a webhook is never limited by this (docs/security.md).
  if (overLimit) throw overLimit;
  // The source's intent first (a newsletter box is itself the opt-in: shared/sources/intent.ts).
  const candidates = withSourceIntent(source, decision.signups);
  // Webhook senders cannot change their data: with a dead-letter queue the good signups go on and the
  // others become `unmappable` dead letters; html forms keep their 422 (shared/ingest/unmappable.ts).
  // A source that ignores incomplete submissions (a survey) answers 2xx for them and keeps nothing.
  const checked = checkSourceSignups(candidates, {
    nameless: namelessPolicyFor(deps.namelessPolicy ?? DEFAULT_NAMELESS_POLICY, source),
    ...(deps.attributeFields ? { attributeFields: deps.attributeFields } : {}),
  });
  const { good } = checked;
  const { incomplete, failed } = splitIncomplete(source, checked.failed);
  if (failed.length > 0 && (adapter.present || !deps.unmappable)) {
    throw validationProblem(failed.flatMap((failure) => failure.problems)).withTraceFields({
      ...(signedDeliveryId !== undefined ? { deliveryId: signedDeliveryId } : {}),
      signups: tracedFailures(deps, failed),
    });
  }
  if (incomplete.length > 0) {
    writeTrace(logger, TraceEvent.incomplete, 'incomplete signups ignored', {
      ignored: incomplete.length,
      reason: INCOMPLETE_REASON,
      fields: incomplete.flatMap((failure) => failure.problems.map((problem) => problem.path)),
      ...(signedDeliveryId !== undefined ? { deliveryId: signedDeliveryId } : {}),
      signups: tracedFailures(deps, incomplete),
    });
  }
  if (good.length === 0 && failed.length === 0) return { type: 'ignored', incomplete: incomplete.length };
  const letters = failed.length > 0 ? unmappableLetters(request, source, receivedAt, failed, candidates.length, signingKeyOf(secrets)) : [];
  // A webhook sender cannot change its data: an event dated in the future is capped at its receipt,
  // neither refused nor dead-lettered (shared/signup/event-time.ts). (html-form has no event time.)
  const { signups: capped, capped: cappedCount } = capFutureEventTimes(
    good.map((item) => item.signup),
    receivedAt,
  );
  if (cappedCount > 0) logger.warn('future-dated event time capped at its receipt', { capped: cappedCount });
  const signups = good.map((item, index) => ({ signup: capped[index]!, placeholderNames: item.placeholderNames }));
  const messages = toSignupMessages(signups, { source: messageSource(source), receivedAt, ...(newId ? { newId } : {}) }).map((message, index) => {
    const evidence = signupEvidence(request, source, candidates[good[index]!.index]?.form);
    return evidence ? { ...message, evidence } : message;
  });
  // Keyed by an id: the payload is what the adapter read (not the raw bytes, which a multipart boundary
  // changes between two posts of the same form), so a double click is a repeat and another visitor is
  // not. Keyed by the body: the body is the payload (a Shopify body replayed under another topic is the
  // same signed delivery).
  const id = adapter.keyedByBody ? undefined : (signedDeliveryId ?? singleEventId(capped));
  const delivery: Delivery = {
    key: deliveryKey(source.id, id, request.body),
    payloadHash: id === undefined ? bodyHash(request.body) : payloadHash(decision.signups),
  };
  const captchaCheck = captchaCheckOf(source, secret, decision.captchaToken, deps);
  const beforeEnqueue = async () => {
    await captchaCheck?.();
    if (letters.length > 0) await deadLetterUnmappable(deps, letters, tracedFailures(deps, failed), id);
  };
  const { repeat, receipt } = await enqueueOnce(deps, delivery, messages, beforeEnqueue, id).catch((error: unknown) => {
    if (!(error instanceof DeliveryConflictError)) throw error;
    // The same id for other content (a cached form page's submission_id, a sender reusing an id): a new
    // delivery, never dropped. Recorded under a key that includes its payload, so its own repeats fold.
    logger.info('delivery key reused for another payload: recorded under its payload hash');
    return enqueueOnce(deps, conflictKey(delivery), messages, beforeEnqueue, id);
  });
  if (!repeat)
    writeTrace(logger, TraceEvent.queued, 'signups accepted', {
      accepted: receipt.accepted,
      ids: receipt.ids,
      ...(id !== undefined ? { deliveryId: id } : {}),
      signups: tracedMessages(deps.hashEmail, messages),
    });
  // Counted once: a repeated delivery dead-letters nothing again.
  return {
    type: 'accepted',
    ids: receipt.ids,
    repeat,
    ...(!repeat && letters.length > 0 ? { unmappable: letters.length } : {}),
    ...(!repeat && incomplete.length > 0 ? { incomplete: incomplete.length } : {}),
  };
}

/**
 * Counts a POST to an html-form source for its client (shared/ingest/client-limit.ts): the refusal when
 * the client is over its limit, else undefined. A webhook, a preflight and a form without a limiter are
 * not counted. The refusal is returned, not thrown, so the caller raises it only for a signup post (a
 * honeypot's decoy answer and a non-signup still answer as they always did; they are counted all the same).
 */
async function countFormPost(request: RawRequest, source: SourceConfig, deps: IngestDeps, receivedAt: Date): Promise<ClientLimitedError | undefined> {
  if (source.kind !== 'html-form' || !deps.clientLimit || request.method !== 'POST') return undefined;
  try {
    await checkClientLimit(deps.clientLimit, request, source, receivedAt, deps.logger);
    return undefined;
  } catch (error) {
    if (error instanceof ClientLimitedError) return error;
    throw error;
  }
}

/**
 * An html-form source with `captcha`: its provider's check of the posted token (docs/trust.md, "Public
 * forms"). Run inside the ledger, so a double-clicked form is folded before its single-use token is spent twice.
 */
function captchaCheckOf(source: SourceConfig, secret: SourceSecret, token: string | undefined, deps: IngestDeps): (() => Promise<void>) | undefined {
  if (source.kind !== 'html-form' || !source.captcha) return undefined;
  const { captcha, allowedOrigins } = source;
  // checkSourceSecrets refuses an entry without captchaSecret for such a source: this is a wiring bug.
  if (secret.captchaSecret === undefined) throw new SourceConfigError(`Source ${source.id} has captcha but no captchaSecret`);
  const check = { config: captcha, secret: secret.captchaSecret, token, hostnames: captcha.hostnames ?? hostnamesOf(allowedOrigins) };
  return () => verifyCaptcha(deps.captcha ?? createSiteverifyClient(), check);
}

/** The newest dead-letter key, or a SourceConfigError (500, logged; the sender retries once the sources secret is fixed). */
function signingKeyOf(secrets: SourceSecrets): string {
  const [newest] = secrets.deadLetterKeys.keys;
  if (newest === undefined)
    throw new SourceConfigError('The sources secret yields no dead-letter key to sign unmappable letters with', { issues: secrets.deadLetterKeys.problems });
  return newest;
}

/** Before the good signups are enqueued (and only once per delivery): the bad ones to the DLQ, or 503. */
async function deadLetterUnmappable(
  deps: IngestDeps,
  letters: readonly UnmappableLetter[],
  signups: readonly TracedSignup[],
  deliveryId: string | undefined,
): Promise<void> {
  try {
    await deps.unmappable!.send(letters);
  } catch (error) {
    throw serviceUnavailable('The dead-letter queue is unavailable; retry later. Nothing was lost on our side.', error);
  }
  writeTrace(
    deps.logger,
    TraceEvent.unmappable,
    'unmappable signups dead-lettered',
    {
      deadLettered: letters.length,
      problems: describeProblems(letters.flatMap((letter) => letter.problems)).slice(0, 1000),
      ...(deliveryId !== undefined ? { deliveryId } : {}),
      signups,
    },
    'warn',
  );
}

/** The trace line's view of failed signups: email hash (when the candidate has one), event id, the failing fields. */
function tracedFailures(deps: Pick<IngestDeps, 'hashEmail'>, failures: readonly FailedSignup[]): TracedSignup[] {
  return failures.map((failure) =>
    tracedSignup({
      emailHash: emailHashOf(deps.hashEmail, failure.candidate),
      eventId: failure.candidate['event_id'],
      fields: failure.problems.map((problem) => problem.path),
    }),
  );
}

/** An adapter's own answer: a handshake or preflight (`replied`), a honeypot, or a refusal such as 405 (`refused`). */
function traceReply(logger: IngestDeps['logger'], status: number, purpose: ReplyPurpose | undefined): void {
  if (purpose === 'honeypot') writeTrace(logger, TraceEvent.honeypot, 'honeypot filled: answered as a success, nothing kept', { status });
  else if (status >= 400) writeTrace(logger, TraceEvent.refused, 'request refused', { status, reason: statusTitle(status), ...(purpose ? { purpose } : {}) });
  else writeTrace(logger, TraceEvent.replied, 'source reply', { status, ...(purpose ? { purpose } : {}) });
}

/** Count headers for the metrics (shared/observability/ingest-metrics.ts): present only when not zero. */
const countHeader = (name: string, count: number | undefined): Record<string, string> => (count ? { [name]: String(count) } : {});

/** The default answers (every kind but html-form). */
function answer(outcome: Outcome): HttpReply {
  if (outcome.type === 'reply') return outcome.reply;
  if (outcome.type === 'ignored') {
    const counts = { ...countHeader(IGNORED_EVENTS_HEADER, outcome.events), ...countHeader(INCOMPLETE_COUNT_HEADER, outcome.incomplete) };
    const result: IngestResult = { accepted: 0, ids: [], ignored: true };
    return { status: 200, headers: { ...JSON_HEADERS, ...counts }, body: JSON.stringify(result) };
  }
  const result: IngestResult = { accepted: outcome.ids.length, ids: [...outcome.ids] };
  const repeated: Record<string, string> = outcome.repeat === true ? { [DELIVERY_REPEATED_HEADER]: 'true' } : {};
  const counts = { ...countHeader(UNMAPPABLE_COUNT_HEADER, outcome.unmappable), ...countHeader(INCOMPLETE_COUNT_HEADER, outcome.incomplete) };
  return { status: 202, headers: { ...JSON_HEADERS, ...repeated, ...counts }, body: JSON.stringify(result) };
}

/**
 * Handles a request to `/sources/{sourceId}` (the path segment: `<id>-<routeToken>`, or an html-form's id). Throws refusals (HttpProblemError, SourceError) for the
 * error edge, except for sources whose adapter presents its own answers (html-form), which get every
 * outcome, refusals included, through `present`.
 */
export async function ingestFromSource(request: RawRequest, routeSegment: string | undefined, deps: IngestDeps): Promise<HttpReply> {
  const { logger } = deps;
  // The path names a source by its id and route token (`<id>-<routeToken>`, shared/sources/source-config.ts):
  // a webhook's bare id is not its URL. Same answer as a wrong signature: an unknown route must not be told apart.
  const source = routeSegment === undefined ? undefined : deps.sources.find((candidate) => sourceRouteSegment(candidate) === routeSegment);
  if (source === undefined) throw new SourceAuthError('invalid', 'token', 'unknown source route');
  logger.appendKeys({ sourceId: source.id, sourceKind: source.kind });
  const adapter = adapterFor(source);
  // Per-source metrics (the silence and signature-failure alarms): authentic deliveries and 401s only.
  const observe = (outcome: SourceOutcome) => deps.onSourceOutcome?.(source.id, outcome);
  const observed = async (): Promise<Outcome> => {
    try {
      const processed = await process(request, source, deps);
      if (processed.type !== 'reply') observe('delivered');
      return processed;
    } catch (error) {
      if (error instanceof SourceAuthError) observe('auth-refused');
      throw error;
    }
  };
  if (!adapter.present) return answer(await observed());
  let outcome: PresentOutcome;
  let headers: Readonly<Record<string, string>> = {};
  try {
    const processed = await observed();
    if (processed.type === 'reply') return processed.reply;
    outcome = processed.type === 'accepted' ? { type: 'accepted', count: processed.ids.length } : { type: 'ignored' };
    if (processed.type === 'accepted' && processed.repeat === true) headers = { [DELIVERY_REPEATED_HEADER]: 'true' };
  } catch (error) {
    logRefusal(logger, error, { [TRACE_FIELD]: TraceEvent.refused });
    const refusal = toRefusal(error);
    headers = refusal.headers;
    const { problem } = refusal;
    outcome =
      problem.status < 500
        ? { type: 'invalid', statusCode: problem.status, message: problem.detail ?? problem.title, ...(problem.errors ? { issues: problem.errors } : {}) }
        : { type: 'error', statusCode: problem.status };
  }
  const reply = adapter.present(outcome, request, source);
  return { ...reply, headers: { ...headers, ...reply.headers } };
}
