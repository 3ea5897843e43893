import { randomUUID } from 'node:crypto';
import { checkBatchSize } from '../http-input/body';
import { HttpProblemError } from '../http-input/errors';
import type { FieldProblem } from '../http-input/problem-document';
import { DEFAULT_NAMELESS_POLICY } from '../signup/nameless-policy';
import { SIGNUP_MESSAGE_SCHEMA_VERSION, type Signup, type SignupMessage, type SignupSource } from '../signup/signup-schema';
import { checkSignups, type SignupRules } from './check-signups';

export function validationProblem(errors: readonly FieldProblem[]): HttpProblemError {
  return new HttpProblemError({
    title: 'Unprocessable Content',
    status: 422,
    detail: `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation; nothing was enqueued.`,
    errors,
  });
}

/**
 * Validates one signup object or an array of up to 100 (shared/ingest/check-signups.ts: schema, nameless
 * policy, attribute limit). Every failing field is reported, and the request is refused as a whole so a
 * sender never has to work out which half was accepted.
 */
export function parseSignupBatch(payload: unknown, rules: SignupRules = { nameless: DEFAULT_NAMELESS_POLICY }): Signup[] {
  const items = Array.isArray(payload) ? payload : [payload];
  checkBatchSize(items.length);
  if (items.length === 0) {
    throw validationProblem([{ path: '/', message: 'Expected at least one signup' }]);
  }
  const { good, failed } = checkSignups(items, rules, { indexed: Array.isArray(payload) });
  if (failed.length > 0) throw validationProblem(failed.flatMap((failure) => failure.problems));
  return good.map((item) => item.signup);
}

export type MessageFactoryOptions = Readonly<{
  source: SignupSource;
  receivedAt: Date;
  newId?: () => string;
}>;

/**
 * Wraps signups for the queue. The idempotency key is the sender's event id when there is one, so a
 * webhook delivered twice carries the same key; otherwise it is the message's own id.
 */
export function toSignupMessages(
  signups: readonly (Signup & { event_id?: string | undefined })[],
  { source, receivedAt, newId = randomUUID }: MessageFactoryOptions,
): SignupMessage[] {
  return signups.map((signup) => {
    const id = newId();
    return {
      schema_version: SIGNUP_MESSAGE_SCHEMA_VERSION,
      id,
      idempotency_key: signup.event_id ? `${source.id}:${signup.event_id}` : id,
      received_at: receivedAt.toISOString(),
      source,
      signup,
    };
  });
}
