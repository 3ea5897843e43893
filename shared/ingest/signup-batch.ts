import { randomUUID } from 'node:crypto';
import { checkBatchSize } from '../http-input/body';
import { HttpProblemError } from '../http-input/errors';
import type { FieldProblem } from '../http-input/problem-document';
import { isBeyondFutureTolerance } from '../signup/event-time';
import { DEFAULT_NAMELESS_POLICY } from '../signup/nameless-policy';
import { type PlaceholderNameField, SIGNUP_MESSAGE_SCHEMA_VERSION, type Signup, type SignupMessage, type SignupSource } from '../signup/signup-schema';
import { checkSignups, type SignupRules } from './check-signups';

export function validationProblem(errors: readonly FieldProblem[]): HttpProblemError {
  return new HttpProblemError({
    title: 'Unprocessable Content',
    status: 422,
    detail: `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation; nothing was enqueued.`,
    errors,
  });
}

/** A validated signup and the names the ingest filled in as placeholders (the message marks them). */
export type MarkedSignup = Readonly<{ signup: Signup; placeholderNames: readonly PlaceholderNameField[] }>;

/**
 * Webhook deliveries: their sender cannot change the data, so a future-dated event is neither refused
 * nor dead-lettered; its `occurred_at` becomes the receipt, the latest time it can honestly have
 * happened (the sync caps it there anyway; shared/signup/event-time.ts). Returns the signups and how
 * many were capped.
 */
export function capFutureEventTimes<T extends Pick<Signup, 'occurred_at'>>(signups: readonly T[], receivedAt: Date): { signups: T[]; capped: number } {
  let capped = 0;
  const result = signups.map((signup) => {
    if (!isBeyondFutureTolerance(signup.occurred_at, receivedAt)) return signup;
    capped += 1;
    return { ...signup, occurred_at: receivedAt.toISOString() };
  });
  return { signups: result, capped };
}

/**
 * Validates one signup object or an array of up to 100 (shared/ingest/check-signups.ts: schema, nameless
 * policy, attribute limit, and with `rules.receivedAt` an `occurred_at` in the future). Every failing
 * field is reported, and the request is refused as a whole so a sender never has to work out which half
 * was accepted.
 */
export function parseSignupBatch(payload: unknown, rules: SignupRules = { nameless: DEFAULT_NAMELESS_POLICY }): MarkedSignup[] {
  const items = Array.isArray(payload) ? payload : [payload];
  checkBatchSize(items.length);
  if (items.length === 0) {
    throw validationProblem([{ path: '/', message: 'Expected at least one signup' }]);
  }
  const { good, failed } = checkSignups(items, rules, { indexed: Array.isArray(payload) });
  if (failed.length > 0) throw validationProblem(failed.flatMap((failure) => failure.problems));
  return good.map(({ signup, placeholderNames }) => ({ signup, placeholderNames }));
}

export type MessageFactoryOptions = Readonly<{
  source: SignupSource;
  receivedAt: Date;
  newId?: () => string;
}>;

/**
 * Wraps signups for the queue. The idempotency key is the sender's event id when there is one, so a
 * webhook delivered twice carries the same key; otherwise it is the message's own id. A marked
 * signup's placeholder names are listed in `placeholder_names`.
 */
export function toSignupMessages(
  signups: readonly (Signup | MarkedSignup)[],
  { source, receivedAt, newId = randomUUID }: MessageFactoryOptions,
): SignupMessage[] {
  return signups.map((item) => {
    const { signup, placeholderNames } = 'signup' in item ? item : { signup: item, placeholderNames: [] };
    const id = newId();
    return {
      schema_version: SIGNUP_MESSAGE_SCHEMA_VERSION,
      id,
      idempotency_key: signup.event_id ? `${source.id}:${signup.event_id}` : id,
      received_at: receivedAt.toISOString(),
      source,
      signup,
      ...(placeholderNames.length > 0 ? { placeholder_names: [...placeholderNames] } : {}),
    };
  });
}
