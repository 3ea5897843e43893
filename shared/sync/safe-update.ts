import type { SignupMessage } from '../signup/signup-schema';

/**
 * The rules of conflict policy `update` (docs/sync-semantics.md#conflict-policy) that do not depend on
 * the engine's state: when a signup happened, and whether it is newer than the customer it would change.
 */

/**
 * BigCommerce allows 3 concurrent PUT /v3/customers. The engine sends one request at a time per
 * invocation, so the event source mapping's maxConcurrency bounds the PUTs in flight; synth refuses
 * `update` with a higher maxConcurrency (shared/deployment/conflict-policy-rules.ts).
 */
export const MAX_CONCURRENT_CUSTOMER_PUTS = 3;

/**
 * When a message's signup happened: its `occurred_at`, else the time the ingest received it. Never later
 * than the receipt: a sender's clock (or a forged `occurred_at`) cannot make a signup win over the future.
 */
export function messageEventTime(message: SignupMessage): number {
  const received = Date.parse(message.received_at);
  const occurred = message.signup.occurred_at === undefined ? Number.NaN : Date.parse(message.signup.occurred_at);
  return Number.isFinite(occurred) ? Math.min(occurred, received) : received;
}

/** The event time of a merged group: its latest message's (the one whose fields win in mergeSignups). */
export function groupEventTime(messages: readonly SignupMessage[]): number {
  return Math.max(...messages.map(messageEventTime));
}

/**
 * Last writer wins: a signup overwrites a customer only when it happened after the customer's last
 * change. BigCommerce's `date_modified` has whole seconds, so the comparison is by whole seconds and a
 * signup in the same second as the last change does not overwrite it. Without a readable
 * `date_modified` there is no proof that the signup is newer, so nothing is overwritten.
 */
export function signupIsNewer(eventTimeMs: number, dateModified: string | null | undefined): boolean {
  const modified = dateModified ? Date.parse(dateModified) : Number.NaN;
  if (!Number.isFinite(modified) || !Number.isFinite(eventTimeMs)) return false;
  return Math.floor(eventTimeMs / 1000) > Math.floor(modified / 1000);
}
