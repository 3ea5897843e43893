import type { FieldProblem } from '../http-input/problem-document';
import type { RawRequest } from '../http-input/request';
import type { SourceNamePolicy } from '../signup/nameless-policy';
import type { SignupMessage } from '../signup/signup-schema';
import { adapterFor } from '../sources/adapters';
import { withSourceIntent } from '../sources/intent';
import type { AdapterDecision, SourceSignup } from '../sources/source-adapter';
import type { SourceConfig } from '../sources/source-config';
import * as z from '../zod-mini';
import { type CheckedSignups, type FailedSignup as CheckFailure, checkSignups, type SignupRules } from './check-signups';
import { toSignupMessages } from './signup-batch';

/**
 * Webhook senders never get a 4xx for data they cannot change (docs/subscribers.md, "Unmappable
 * deliveries"): a source delivery whose signups fail mapping or validation is answered 2xx, the good
 * signups go on, and each bad one becomes an `unmappable` dead letter holding the field paths, the
 * source id and the raw delivery, so that `signup-sync dlq redrive` can re-run it through the source's
 * adapter and configuration as they are then (a fixed `fieldMap`). POST /signups and html forms keep
 * their 422: their caller can fix the data.
 *
 * The raw delivery is stored without the secrets it may carry (the URL token of Mailchimp,
 * ActiveCampaign and Jotform, an `Authorization` header): the re-run does not authenticate it again.
 * When the delivery does not fit in an SQS message (256 KiB with the rest), the dead letter keeps the
 * mapped candidate instead (`request` absent): a redrive then validates that candidate again, so a
 * fieldMap change cannot help it, but a nameless-policy change can.
 */

export const UNMAPPABLE_CODE = 'unmappable';
export const UNMAPPABLE_KIND = 'unmappable-delivery';

/**
 * On a 2xx whose delivery had unmappable signups: how many went to the dead-letter queue, for the
 * SignupsUnmappable metric (shared/observability/ingest-metrics.ts). Harmless for senders, who only read the status.
 */
export const UNMAPPABLE_COUNT_HEADER = 'signups-unmappable';

/** Room left for attributes and the JSON around the request in one 256 KiB SQS message. */
const MAX_STORED_REQUEST_BYTES = 200 * 1024;

const storedRequestSchema = z.strictObject({
  method: z.string(),
  headers: z.record(z.string(), z.string()),
  query: z.record(z.string(), z.string()),
  public_url: z.string(),
  body_base64: z.string(),
  /** The query parameter that held the source's token (removed; a re-run does not authenticate again). */
  token_param: z.optional(z.string()),
  /** An Authorization header was removed (a signed Standard Webhooks delivery has none). */
  bearer_removed: z.optional(z.boolean()),
});

export const unmappableLetterSchema = z.strictObject({
  kind: z.literal(UNMAPPABLE_KIND),
  version: z.literal(1),
  source: z.strictObject({ id: z.string(), kind: z.string() }),
  received_at: z.iso.datetime(),
  /** Which signup of the delivery this letter is about, and how many the adapter found. */
  signup_index: z.int().check(z.nonnegative()),
  signup_count: z.int().check(z.positive()),
  problems: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  /** The adapter's mapped candidate (for reading; used by a redrive only when `request` is absent). */
  candidate: z.record(z.string(), z.unknown()),
  request: z.optional(storedRequestSchema),
});
export type UnmappableLetter = z.infer<typeof unmappableLetterSchema>;

/** The ingest's port for unmappable signups (the SQS adapter is shared/aws/sqs-unmappable-dead-letters.ts). */
export interface UnmappableDeadLetters {
  /** All or a retryable error: the delivery is then answered 503, so the sender retries. */
  send(letters: readonly UnmappableLetter[]): Promise<void>;
}

export type { CheckedSignup } from './check-signups';
export type FailedSignup = CheckFailure<Readonly<Record<string, unknown>>>;

/**
 * Checks a delivery's candidates as every signup is checked (shared/ingest/check-signups.ts), the sender's
 * event time filling a missing `occurred_at`; splits them into good and failed.
 */
export function checkSourceSignups(candidates: readonly SourceSignup[], rules: SignupRules): CheckedSignups<Readonly<Record<string, unknown>>> {
  const withTimes = candidates.map(({ signup, occurredAt }) =>
    occurredAt !== undefined && signup['occurred_at'] === undefined ? { ...signup, occurred_at: occurredAt } : signup,
  );
  return checkSignups(withTimes, rules, { indexed: candidates.length > 1 });
}

function storedRequest(request: RawRequest, source: SourceConfig): UnmappableLetter['request'] {
  const tokenParam = 'tokenParam' in source ? source.tokenParam : undefined;
  const query = { ...request.query };
  const hadToken = tokenParam !== undefined && Object.hasOwn(query, tokenParam);
  if (hadToken) delete query[tokenParam];
  const headers = { ...request.headers };
  const hadBearer = Object.hasOwn(headers, 'authorization');
  if (hadBearer) delete headers.authorization;
  let publicUrl = request.publicUrl;
  if (hadToken) {
    const url = new URL(request.publicUrl);
    url.searchParams.delete(tokenParam);
    publicUrl = url.toString();
  }
  return {
    method: request.method,
    headers,
    query,
    public_url: publicUrl,
    body_base64: request.body.toString('base64'),
    ...(hadToken ? { token_param: tokenParam } : {}),
    ...(hadBearer ? { bearer_removed: true } : {}),
  };
}

/** One dead letter per failed signup, each with the (secret-free) raw delivery when it fits. */
export function unmappableLetters(
  request: RawRequest,
  source: SourceConfig,
  receivedAt: Date,
  failed: readonly FailedSignup[],
  signupCount: number,
): UnmappableLetter[] {
  const stored = storedRequest(request, source);
  const requestBytes = Buffer.byteLength(JSON.stringify(stored));
  return failed.map((failure) => {
    const fits = requestBytes + Buffer.byteLength(JSON.stringify(failure.candidate)) <= MAX_STORED_REQUEST_BYTES;
    return {
      kind: UNMAPPABLE_KIND as typeof UNMAPPABLE_KIND,
      version: 1 as const,
      source: { id: source.id, kind: source.kind },
      received_at: receivedAt.toISOString(),
      signup_index: failure.index,
      signup_count: signupCount,
      problems: [...failure.problems],
      candidate: { ...failure.candidate },
      ...(fits ? { request: stored } : {}),
    };
  });
}

/** The short reason for the dead letter's attributes: field paths and rules, never values. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}

export type RerunResult = Readonly<{ ok: true; messages: SignupMessage[] }> | Readonly<{ ok: false; reason: string; problems?: readonly FieldProblem[] }>;

export type RerunContext = Readonly<{
  /** The sources as configured now. */
  sources: readonly SourceConfig[];
  namelessPolicy: (source: SourceConfig) => SourceNamePolicy;
  /** The custom field names the sync sends to customer attributes (the ingest's CUSTOM_ATTRIBUTE_FIELDS). */
  attributeFields?: ReadonlySet<string>;
  /** For the new message's received_at and id. */
  now: Date;
  messageSource: (source: SourceConfig) => SignupMessage['source'];
  newId?: () => string;
}>;

/**
 * Re-runs one unmappable dead letter through the source's current adapter and configuration, then the
 * ingest's own validation, nameless policy, attribute limit and message building. The signature or token is NOT checked
 * again (`authenticated`): the letter comes from our own dead-letter queue, written by the ingest after
 * it authenticated the delivery, and its secret-free copy could not pass the check anyway (its token was
 * removed; a rotated secret would refuse it). So a redrive needs no access to the sources secret.
 */
export function rerunUnmappable(body: string, context: RerunContext): RerunResult {
  let letter: UnmappableLetter;
  try {
    letter = unmappableLetterSchema.parse(JSON.parse(body));
  } catch {
    return { ok: false, reason: 'not an unmappable dead letter' };
  }
  const source = context.sources.find((candidate) => candidate.id === letter.source.id);
  if (!source) return { ok: false, reason: `source ${letter.source.id} is no longer configured` };
  let candidates: readonly SourceSignup[];
  if (letter.request) {
    const { request: stored } = letter;
    const request: RawRequest = {
      method: stored.method,
      headers: stored.headers,
      query: stored.query,
      publicUrl: stored.public_url,
      body: Buffer.from(stored.body_base64, 'base64'),
    };
    let decision: AdapterDecision;
    try {
      decision = adapterFor(source).decide(request, { source, secret: '', now: new Date(letter.received_at), authenticated: true });
    } catch (error) {
      return { ok: false, reason: `the ${source.kind} adapter refused the delivery: ${error instanceof Error ? error.message : 'unknown error'}` };
    }
    if (decision.type !== 'signups') return { ok: false, reason: `the ${source.kind} adapter no longer finds signups in the delivery` };
    const chosen = decision.signups[letter.signup_index];
    if (decision.signups.length !== letter.signup_count || !chosen)
      return { ok: false, reason: 'the adapter finds a different number of signups in the delivery now' };
    candidates = [chosen];
  } else {
    candidates = [{ signup: letter.candidate }];
  }
  const { good, failed } = checkSourceSignups(withSourceIntent(source, candidates), {
    nameless: context.namelessPolicy(source),
    ...(context.attributeFields ? { attributeFields: context.attributeFields } : {}),
  });
  if (failed.length > 0 || good.length === 0) return { ok: false, reason: 'still unmappable', problems: failed.flatMap((failure) => failure.problems) };
  const messages = toSignupMessages(good, {
    source: context.messageSource(source),
    receivedAt: context.now,
    ...(context.newId ? { newId: context.newId } : {}),
  });
  return { ok: true, messages };
}
