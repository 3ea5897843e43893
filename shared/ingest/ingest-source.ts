import { createSiteverifyClient } from '../captcha/siteverify-client';
import { hostnamesOf, verifyCaptcha } from '../captcha/verify-captcha';
import { type FieldProblem, PROBLEM_CONTENT_TYPE, statusTitle } from '../http-input/problem-document';
import { logRefusal, toRefusal } from '../http-input/refusal';
import type { HttpReply, RawRequest } from '../http-input/request';
import { DEFAULT_NAMELESS_POLICY, namelessPolicyFor } from '../signup/nameless-policy';
import { type Signup, type SignupSource, signupSchema } from '../signup/signup-schema';
import type { SourceSecret } from '../sources/adapters';
import { adapterFor, decideSource } from '../sources/adapters';
import { SourceAuthError, SourceConfigError } from '../sources/errors';
import type { PresentOutcome, SourceSignup } from '../sources/source-adapter';
import type { SourceConfig } from '../sources/source-config';
import { attributeLimitProblems } from './attribute-limit';
import { deliveryKey, singleEventId } from './delivery-ledger';
import { DELIVERY_REPEATED_HEADER, enqueueOnce, type IngestDeps, type IngestResult, loadSourceSecrets, secretOf, serviceUnavailable } from './ingest-signups';
import type { SourceSecrets } from './ingest-sources';
import { toFieldProblems, toSignupMessages, validationProblem } from './signup-batch';
import { checkSourceSignups, describeProblems, UNMAPPABLE_COUNT_HEADER, type UnmappableLetter, unmappableLetters } from './unmappable';

/**
 * `POST|GET|OPTIONS /sources/{sourceId}`: authenticate -> decode -> adapt (the source's adapter) ->
 * validate (signupSchema) -> enqueue -> answer.
 *
 * Answers, chosen with the senders' retry rules in mind (docs/sources.md):
 * - 401 for a missing or bad signature or token, and for an unknown source id (never 404 or 410:
 *   Typeform disables a webhook on 404/410, ActiveCampaign on 410; and probing reveals nothing);
 * - 200 for an authentic event that is not a signup (nothing enqueued);
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
  };
}

/** Validates every candidate; the request is refused as a whole (422) if any fails, listing each field. */
export function validateSourceSignups(candidates: readonly SourceSignup[]): Signup[] {
  const signups: Signup[] = [];
  const errors: FieldProblem[] = [];
  candidates.forEach(({ signup, occurredAt }, index) => {
    const withTime = occurredAt !== undefined && signup['occurred_at'] === undefined ? { ...signup, occurred_at: occurredAt } : signup;
    const result = signupSchema.safeParse(withTime);
    if (result.success) signups.push(result.data);
    else errors.push(...toFieldProblems(result.error.issues, candidates.length > 1 ? [index] : []));
  });
  if (errors.length > 0) throw validationProblem(errors);
  return signups;
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
  | { readonly type: 'ignored' }
  | { readonly type: 'accepted'; readonly ids: readonly string[]; readonly repeat?: boolean; readonly unmappable?: number };

/** The flow up to an outcome, throwing refusals. */
async function process(request: RawRequest, source: SourceConfig, deps: IngestDeps): Promise<Outcome> {
  const { logger, now = () => new Date(), newId } = deps;
  const secrets = await loadSourceSecrets(deps);
  const secret = secretOf(secrets, source.id);
  const receivedAt = now();
  const decision = decideSource(request, { source, secret, now: receivedAt });
  if (decision.type === 'reply') {
    logger.info('source reply', { status: decision.status });
    const { type: _type, ...reply } = decision;
    return { type: 'reply', reply: replyAsProblem(reply) };
  }
  if (decision.type === 'ignore') {
    logger.info('event ignored', { reason: decision.reason });
    return { type: 'ignored' };
  }
  // Webhook senders cannot change their data: with a dead-letter queue the good signups go on and the
  // others become `unmappable` dead letters; html forms keep their 422 (shared/ingest/unmappable.ts).
  const { good, failed } = withAttributeLimit(
    checkSourceSignups(decision.signups, namelessPolicyFor(deps.namelessPolicy ?? DEFAULT_NAMELESS_POLICY, source)),
    deps.attributeFields,
    decision.signups.length > 1,
  );
  if (failed.length > 0 && (adapterFor(source).present || !deps.unmappable)) throw validationProblem(failed.flatMap((failure) => failure.problems));
  const letters = failed.length > 0 ? unmappableLetters(request, source, receivedAt, failed, decision.signups.length, signingKeyOf(secrets)) : [];
  const signups = good.map((item) => item.signup);
  const messages = toSignupMessages(signups, { source: messageSource(source), receivedAt, ...(newId ? { newId } : {}) });
  const key = deliveryKey(source.id, adapterFor(source).deliveryId?.(request) ?? singleEventId(signups), request.body);
  const captchaCheck = captchaCheckOf(source, secret, decision.captchaToken, deps);
  const { repeat, receipt } = await enqueueOnce(deps, key, messages, async () => {
    await captchaCheck?.();
    if (letters.length > 0) await deadLetterUnmappable(deps, letters);
  });
  if (!repeat) logger.info('signups accepted', { accepted: receipt.accepted, ids: receipt.ids });
  // Counted once: a repeated delivery dead-letters nothing again.
  return { type: 'accepted', ids: receipt.ids, repeat, ...(!repeat && letters.length > 0 ? { unmappable: letters.length } : {}) };
}

/**
 * An html-form source with `captcha`: its provider's check of the posted token (docs/trust.md, "Public
 * forms"). Run inside the ledger, so a double-clicked form is folded before its single-use token is spent twice.
 */
function captchaCheckOf(source: SourceConfig, secret: SourceSecret, token: string | undefined, deps: IngestDeps): (() => Promise<void>) | undefined {
  if (source.kind !== 'html-form' || source.captcha === undefined) return undefined;
  const { captcha, allowedOrigins } = source;
  // checkSourceSecrets refuses an entry without captchaSecret for such a source: this is a wiring bug.
  if (secret.captchaSecret === undefined) throw new SourceConfigError(`Source ${source.id} has captcha but no captchaSecret`);
  const check = { config: captcha, secret: secret.captchaSecret, token, hostnames: captcha.hostnames ?? hostnamesOf(allowedOrigins) };
  return () => verifyCaptcha(deps.captcha ?? createSiteverifyClient(), check);
}

/** Moves a valid signup with more than 10 attribute-mapped custom fields among the failed ones (shared/ingest/attribute-limit.ts). */
function withAttributeLimit(
  checked: ReturnType<typeof checkSourceSignups>,
  attributeFields: ReadonlySet<string> | undefined,
  batched: boolean,
): ReturnType<typeof checkSourceSignups> {
  if (attributeFields === undefined || attributeFields.size === 0) return checked;
  const good: typeof checked.good = [];
  const failed = [...checked.failed];
  for (const item of checked.good) {
    const problems = attributeLimitProblems(item.signup, attributeFields, batched ? [item.index] : []);
    if (problems.length === 0) good.push(item);
    else failed.push({ index: item.index, candidate: item.signup, problems });
  }
  return { good, failed: failed.sort((a, b) => a.index - b.index) };
}

/** The newest dead-letter key, or a SourceConfigError (500, logged; the sender retries once the sources secret is fixed). */
function signingKeyOf(secrets: SourceSecrets): string {
  const [newest] = secrets.deadLetterKeys.keys;
  if (newest === undefined)
    throw new SourceConfigError('The sources secret yields no dead-letter key to sign unmappable letters with', { issues: secrets.deadLetterKeys.problems });
  return newest;
}

/** Before the good signups are enqueued (and only once per delivery): the bad ones to the DLQ, or 503. */
async function deadLetterUnmappable(deps: IngestDeps, letters: readonly UnmappableLetter[]): Promise<void> {
  try {
    await deps.unmappable!.send(letters);
  } catch (error) {
    throw serviceUnavailable('The dead-letter queue is unavailable; retry later. Nothing was lost on our side.', error);
  }
  deps.logger.warn('unmappable signups dead-lettered', {
    deadLettered: letters.length,
    problems: describeProblems(letters.flatMap((letter) => letter.problems)).slice(0, 1000),
  });
}

/** The default answers (every kind but html-form). */
function answer(outcome: Outcome): HttpReply {
  if (outcome.type === 'reply') return outcome.reply;
  const result: IngestResult = outcome.type === 'accepted' ? { accepted: outcome.ids.length, ids: [...outcome.ids] } : { accepted: 0, ids: [], ignored: true };
  const repeated: Record<string, string> = outcome.type === 'accepted' && outcome.repeat === true ? { [DELIVERY_REPEATED_HEADER]: 'true' } : {};
  const unmappable: Record<string, string> = outcome.type === 'accepted' && outcome.unmappable ? { [UNMAPPABLE_COUNT_HEADER]: String(outcome.unmappable) } : {};
  return { status: outcome.type === 'accepted' ? 202 : 200, headers: { ...JSON_HEADERS, ...repeated, ...unmappable }, body: JSON.stringify(result) };
}

/**
 * Handles a request to `/sources/{sourceId}`. Throws refusals (HttpProblemError, SourceError) for the
 * error edge, except for sources whose adapter presents its own answers (html-form), which get every
 * outcome, refusals included, through `present`.
 */
export async function ingestFromSource(request: RawRequest, sourceId: string | undefined, deps: IngestDeps): Promise<HttpReply> {
  const { logger } = deps;
  const source = sourceId === undefined ? undefined : deps.sources.find((candidate) => candidate.id === sourceId);
  // Same answer as a wrong signature: an unknown id must not be told apart from a real one.
  if (source === undefined) throw new SourceAuthError('invalid', 'token', 'unknown source id');
  logger.appendKeys({ sourceId: source.id, sourceKind: source.kind });
  const adapter = adapterFor(source);
  if (!adapter.present) return answer(await process(request, source, deps));
  let outcome: PresentOutcome;
  let headers: Readonly<Record<string, string>> = {};
  try {
    const processed = await process(request, source, deps);
    if (processed.type === 'reply') return processed.reply;
    outcome = processed.type === 'accepted' ? { type: 'accepted', count: processed.ids.length } : { type: 'ignored' };
    if (processed.type === 'accepted' && processed.repeat === true) headers = { [DELIVERY_REPEATED_HEADER]: 'true' };
  } catch (error) {
    logRefusal(logger, error);
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
