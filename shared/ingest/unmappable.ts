import type { FieldProblem } from '../http-input/problem-document';
import type { RawRequest } from '../http-input/request';
import type { SourceNamePolicy } from '../signup/nameless-policy';
import type { SignupMessage } from '../signup/signup-schema';
import { adapterFor } from '../sources/adapters';
import { withSourceIntent } from '../sources/intent';
import type { AdapterDecision, CredentialPlaces, SourceSignup } from '../sources/source-adapter';
import type { SourceConfig } from '../sources/source-config';
import * as z from '../zod-mini';
import { type CheckedSignups, type FailedSignup as CheckFailure, checkSignups, type SignupRules } from './check-signups';
import { letterSignature, letterSignatureMatches } from './dead-letter-keys';
import { toSignupMessages } from './signup-batch';

/**
 * Webhook senders never get a 4xx for data they cannot change (docs/subscribers.md, "Unmappable
 * deliveries"): a source delivery whose signups fail mapping or validation is answered 2xx, the good
 * signups go on, and each bad one becomes an `unmappable` dead letter holding the field paths, the
 * source id and the raw delivery, so that `signup-sync dlq redrive` can re-run it through the source's
 * adapter and configuration as they are then (a fixed `fieldMap`). POST /signups and html forms keep
 * their 422: their caller can fix the data.
 *
 * The raw delivery is stored without the credentials it may carry: wherever the source's adapter
 * declares them (`credentials`: a URL token, a HubSpot api-key's header or `?key=`), and the
 * `Authorization`, `Proxy-Authorization` and `Cookie` headers always; the re-run does not authenticate it
 * again. When the delivery does not fit in an SQS message (256 KiB with the rest), or its credential is a
 * field of the body, the dead letter keeps the mapped candidate instead (`request` absent): a redrive
 * then validates that candidate again, so a fieldMap change cannot help it, but a nameless-policy change can.
 *
 * Each letter is signed (`hmac`, shared/ingest/dead-letter-keys.ts) and keeps the time the ingest received
 * the delivery: a redrive re-runs only a letter one of the keys verifies, whose source still has the same
 * kind, and its signups keep that `received_at`, so a subscribe re-run days later does not outrank the
 * opt-out that came after it (docs/security.md, "Forged or re-dated dead letters").
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

/** Headers no letter keeps, whatever the adapter declares: they carry credentials or a browser's session. */
export const ALWAYS_REMOVED_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie'];

/** A letter older than this into the future (by its received_at) is refused: a clock skew allowance. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

const storedRequestSchema = z.strictObject({
  method: z.string(),
  headers: z.record(z.string(), z.string()),
  query: z.record(z.string(), z.string()),
  public_url: z.string(),
  body_base64: z.string(),
  /** The names of what was removed because it carried a credential (names only; a re-run does not authenticate again). */
  removed: z.optional(z.strictObject({ headers: z.array(z.string()), query: z.array(z.string()), path: z.optional(z.boolean()) })),
});

/** Version 2: signed (`hmac`). Version 1 letters (unsigned, written before) are refused by a redrive. */
export const UNMAPPABLE_LETTER_VERSION = 2;

export const unmappableLetterSchema = z.strictObject({
  kind: z.literal(UNMAPPABLE_KIND),
  version: z.literal(UNMAPPABLE_LETTER_VERSION),
  source: z.strictObject({ id: z.string(), kind: z.string() }),
  received_at: z.iso.datetime(),
  /** Which signup of the delivery this letter is about, and how many the adapter found. */
  signup_index: z.int().check(z.nonnegative()),
  signup_count: z.int().check(z.positive()),
  problems: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  /** The adapter's mapped candidate (for reading; used by a redrive only when `request` is absent). */
  candidate: z.record(z.string(), z.unknown()),
  request: z.optional(storedRequestSchema),
  /** HMAC-SHA256 of everything else with the newest dead-letter key (shared/ingest/dead-letter-keys.ts), base64url. */
  hmac: z.string(),
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

/**
 * The request without its credentials (`places`, and the always-removed headers); undefined when a
 * credential is a field of the body, which cannot be cut out of the raw bytes.
 */
export function storedRequest(request: RawRequest, places: CredentialPlaces): UnmappableLetter['request'] | undefined {
  if (places.bodyFields.length > 0) return undefined;
  const headerNames = new Set([...ALWAYS_REMOVED_HEADERS, ...places.headers.map((name) => name.toLowerCase())]);
  const headers: Record<string, string> = {};
  const removedHeaders: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (headerNames.has(name.toLowerCase())) removedHeaders.push(name.toLowerCase());
    else headers[name] = value;
  }
  const query: Record<string, string> = {};
  const removedQuery: string[] = [];
  for (const [name, value] of Object.entries(request.query)) {
    if (places.query.includes(name)) removedQuery.push(name);
    else query[name] = value;
  }
  const url = new URL(request.publicUrl);
  for (const name of places.query) url.searchParams.delete(name);
  // The whole path after /sources/ when it is a credential (a capability URL); the id stays in the letter's `source`.
  if (places.path) url.pathname = url.pathname.replace(/\/sources\/.*$/, '/sources/-');
  const removed = removedHeaders.length > 0 || removedQuery.length > 0 || places.path;
  return {
    method: request.method,
    headers,
    query,
    public_url: url.toString(),
    body_base64: request.body.toString('base64'),
    ...(removed ? { removed: { headers: removedHeaders.sort(), query: removedQuery.sort(), ...(places.path ? { path: true } : {}) } } : {}),
  };
}

/**
 * Where a source's credentials travel: what its adapter declares, and the path when the source's URL
 * carries its route token (`/sources/<id>-<routeToken>`: a URL nobody should be able to guess, so a DLQ
 * reader does not learn it either; the letter's `source.id` is what a re-run needs).
 */
export function credentialPlacesOf(source: SourceConfig): CredentialPlaces {
  const places = adapterFor(source).credentials(source);
  return source.routeToken !== undefined ? { ...places, path: true } : places;
}

/**
 * One dead letter per failed signup, each with the credential-free raw delivery when it fits, signed
 * with `signingKey` (the newest dead-letter key).
 */
export function unmappableLetters(
  request: RawRequest,
  source: SourceConfig,
  receivedAt: Date,
  failed: readonly FailedSignup[],
  signupCount: number,
  signingKey: string,
): UnmappableLetter[] {
  const stored = storedRequest(request, credentialPlacesOf(source));
  const requestBytes = stored === undefined ? Number.POSITIVE_INFINITY : Buffer.byteLength(JSON.stringify(stored));
  return failed.map((failure) => {
    const fits = requestBytes + Buffer.byteLength(JSON.stringify(failure.candidate)) <= MAX_STORED_REQUEST_BYTES;
    const content = {
      kind: UNMAPPABLE_KIND as typeof UNMAPPABLE_KIND,
      version: UNMAPPABLE_LETTER_VERSION as typeof UNMAPPABLE_LETTER_VERSION,
      source: { id: source.id, kind: source.kind },
      received_at: receivedAt.toISOString(),
      signup_index: failure.index,
      signup_count: signupCount,
      problems: failure.problems.map(({ path, message }) => ({ path, message })),
      candidate: { ...failure.candidate },
      ...(fits && stored ? { request: stored } : {}),
    };
    return { ...content, hmac: letterSignature(content, signingKey) };
  });
}

/** The short reason for the dead letter's attributes: field paths and rules, never values. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}

export type RerunResult =
  | Readonly<{ ok: true; messages: SignupMessage[] }>
  /** `refused`: not re-run at all (unsigned, forged or altered, its source's kind changed, dated in the future); else still unmappable. */
  | Readonly<{ ok: false; reason: string; problems?: readonly FieldProblem[]; refused?: true }>;

export type RerunContext = Readonly<{
  /** The sources as configured now. */
  sources: readonly SourceConfig[];
  namelessPolicy: (source: SourceConfig) => SourceNamePolicy;
  /** The custom field names the sync sends to customer attributes (the ingest's CUSTOM_ATTRIBUTE_FIELDS). */
  attributeFields?: ReadonlySet<string>;
  /** The dead-letter keys, newest first (shared/ingest/dead-letter-keys.ts): a letter none of them verifies is refused. */
  deadLetterKeys: readonly string[];
  /** The redrive's clock: a letter received after it (beyond a clock skew) is refused. */
  now: Date;
  messageSource: (source: SourceConfig) => SignupMessage['source'];
  newId?: () => string;
}>;

const refused = (reason: string): RerunResult => ({ ok: false, reason, refused: true });

/**
 * Checks a letter before anything of it is trusted: its signature (one of the dead-letter keys made it,
 * over every field), then its shape. Never echoes the letter's content.
 */
export function verifiedLetter(body: string, deadLetterKeys: readonly string[]): Readonly<{ letter: UnmappableLetter }> | Readonly<{ refusal: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { refusal: 'not an unmappable dead letter (not JSON)' };
  }
  const content = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  if (content['hmac'] === undefined)
    return {
      refusal: `unsigned (version ${JSON.stringify(content['version'] ?? '?')}, written before dead letters were signed, or forged): not re-run`,
    };
  if (deadLetterKeys.length === 0) return { refusal: 'the dead-letter keys are not known here, so its signature cannot be verified: not re-run' };
  if (!letterSignatureMatches(content, deadLetterKeys))
    return { refusal: 'its signature matches no dead-letter key (forged, altered, or signed with a key since removed): not re-run' };
  const result = unmappableLetterSchema.safeParse(content);
  return result.success ? { letter: result.data } : { refusal: 'signed, but not an unmappable dead letter of this version: not re-run' };
}

/**
 * Re-runs one unmappable dead letter through the source's current adapter and configuration, then the
 * ingest's own validation, nameless policy, attribute limit and message building. First the letter must be
 * one the ingest wrote (its HMAC verifies with a dead-letter key) for a source that still has the same
 * kind: an adapter of another kind would read the delivery by rules it was never authenticated under.
 * The signature or token of the delivery itself is NOT checked again (`authenticated`): the ingest
 * checked it when the delivery came in, and the stored copy no longer carries its credential. The
 * signups keep the letter's `received_at`, so they are ordered by when they really arrived.
 */
export function rerunUnmappable(body: string, context: RerunContext): RerunResult {
  const verified = verifiedLetter(body, context.deadLetterKeys);
  if ('refusal' in verified) return refused(verified.refusal);
  const { letter } = verified;
  const receivedAt = new Date(letter.received_at);
  if (receivedAt.getTime() > context.now.getTime() + FUTURE_TOLERANCE_MS) return refused(`received_at ${letter.received_at} is in the future: not re-run`);
  const source = context.sources.find((candidate) => candidate.id === letter.source.id);
  if (!source) return { ok: false, reason: `source ${letter.source.id} is no longer configured` };
  if (source.kind !== letter.source.kind)
    return refused(`source ${source.id} is now of kind ${source.kind}, but the delivery came from a ${letter.source.kind} sender: not re-run`);
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
      decision = adapterFor(source).decide(request, { source, secret: '', now: receivedAt, authenticated: true });
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
    // The time the ingest received the delivery, not the redrive's: a re-run subscribe must not outrank a later opt-out.
    receivedAt,
    ...(context.newId ? { newId: context.newId } : {}),
  });
  return { ok: true, messages };
}
