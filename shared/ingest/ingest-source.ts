import { logRefusal } from '../http/problem-middleware';
import { PROBLEM_CONTENT_TYPE, statusTitle, toRefusal, type FieldProblem } from '../http/problem';
import { signupSchema, type Signup, type SignupSource } from '../signup/signup-schema';
import { adapterFor, decideSource } from '../sources/adapters';
import { SourceAuthError } from '../sources/errors';
import type { HttpReply, PresentOutcome, RawRequest, SourceSignup } from '../sources/source-adapter';
import type { SourceConfig } from '../sources/source-config';
import { enqueueOrProblem, loadSourceSecrets, secretOf, type IngestDeps, type IngestResult } from './ingest-signups';
import { toFieldProblems, toSignupMessages, validationProblem } from './signup-batch';

/**
 * `POST|GET|OPTIONS /sources/{sourceId}`: authenticate -> decode -> adapt (the source's adapter) ->
 * validate (signupSchema) -> enqueue -> answer.
 *
 * Answers, chosen with the senders' retry rules in mind (reference/sources.md):
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
  | { readonly type: 'accepted'; readonly ids: readonly string[] };

/** The flow up to an outcome, throwing refusals. */
async function process(request: RawRequest, source: SourceConfig, deps: IngestDeps): Promise<Outcome> {
  const { queue, logger, now = () => new Date(), newId } = deps;
  const secret = secretOf(await loadSourceSecrets(deps), source.id);
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
  const signups = validateSourceSignups(decision.signups);
  const messages = toSignupMessages(signups, { source: messageSource(source), receivedAt, ...(newId ? { newId } : {}) });
  await enqueueOrProblem(queue, messages);
  logger.info('signups accepted', { accepted: messages.length, ids: messages.map((message) => message.id) });
  return { type: 'accepted', ids: messages.map((message) => message.id) };
}

/** The default answers (every kind but html-form). */
function answer(outcome: Outcome): HttpReply {
  if (outcome.type === 'reply') return outcome.reply;
  const result: IngestResult = outcome.type === 'accepted' ? { accepted: outcome.ids.length, ids: [...outcome.ids] } : { accepted: 0, ids: [], ignored: true };
  return { status: outcome.type === 'accepted' ? 202 : 200, headers: JSON_HEADERS, body: JSON.stringify(result) };
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
