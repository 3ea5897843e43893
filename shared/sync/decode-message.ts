import { toFieldProblems } from '../http-input/problem-document';
import { CONFIRMATION_KIND, type ConfirmationMessage, confirmationMessageSchema, type SignupMessage, signupMessageSchema } from '../signup/signup-schema';

/**
 * `subscriber-rejected`: BigCommerce refused the newsletter subscriber (422); `nameless`: no names and
 * no marketing consent, so neither a customer nor a subscriber; `subscribers-disabled`: a
 * newsletter-only message (nameless subscriber, opt-out) while the sync's `subscribers` setting is off.
 */
export type RejectionCode =
  | 'undecodable'
  | 'invalid-message'
  | 'bigcommerce-rejected'
  | 'update-rejected'
  | 'subscriber-rejected'
  | 'nameless'
  | 'subscribers-disabled'
  | 'unmappable'
  | 'double-opt-in-unconfigured'
  | 'confirmation-mail-rejected';

export type Rejection = Readonly<{ code: RejectionCode; httpStatus?: number; detail: string }>;

export type DecodeResult = { ok: true; message: SignupMessage } | { ok: false; rejection: Rejection };

/** A queue message: a signup, or a double opt-in confirmation (schema version 4). */
export type QueueMessageResult =
  | { ok: true; kind: 'signup'; message: SignupMessage }
  | { ok: true; kind: 'confirmation'; message: ConfirmationMessage }
  | { ok: false; rejection: Rejection };

/** Reads one queue message body of either kind (a confirmation says `kind: "confirmation"`). */
export function decodeQueueMessage(body: string): QueueMessageResult {
  let kind: unknown;
  try {
    kind = (JSON.parse(body) as { kind?: unknown } | null)?.kind;
  } catch {
    kind = undefined;
  }
  if (kind !== CONFIRMATION_KIND) {
    const decoded = decodeSignupMessage(body);
    return decoded.ok ? { ok: true, kind: 'signup', message: decoded.message } : decoded;
  }
  const result = confirmationMessageSchema.safeParse(JSON.parse(body));
  if (!result.success) {
    const fields = toFieldProblems(result.error.issues).map((problem) => `${problem.path}: ${problem.message}`);
    return { ok: false, rejection: { code: 'invalid-message', detail: fields.join('; ').slice(0, 1000) } };
  }
  return { ok: true, kind: 'confirmation', message: result.data };
}

/**
 * Reads one queue message body. A body that is not JSON, or not a signup message of a version we know,
 * can never succeed on retry, so it is rejected with the failing fields (paths and rules, no values).
 */
export function decodeSignupMessage(body: string): DecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, rejection: { code: 'undecodable', detail: 'The message body is not valid JSON' } };
  }
  // An unmappable source delivery (shared/ingest/unmappable.ts) moved here by a blind redrive (an SQS
  // move task): it keeps its code, so `signup-sync dlq redrive` can still re-run it through the ingest's configuration.
  if (typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === 'unmappable-delivery') {
    return {
      ok: false,
      rejection: { code: 'unmappable', detail: 'An unmappable source delivery, not a signup message: re-run it with signup-sync dlq redrive' },
    };
  }
  const result = signupMessageSchema.safeParse(json);
  if (!result.success) {
    const fields = toFieldProblems(result.error.issues).map((problem) => `${problem.path}: ${problem.message}`);
    return { ok: false, rejection: { code: 'invalid-message', detail: fields.join('; ').slice(0, 1000) } };
  }
  return { ok: true, message: result.data };
}
