import type { CustomerUpdateInput } from '../bigcommerce/customer';
import { eventTimeOf } from '../signup/event-time';
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
 * When a message's signup happened: the one event-time rule of shared/signup/event-time.ts (its
 * `occurred_at`, else its receipt, never later than its receipt), which the subscriber path uses too.
 */
export const messageEventTime = eventTimeOf;

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

/**
 * Whether an update carries anything to write besides the customer id. A signup whose names are all
 * placeholders, with no company or phone, has nothing to say about an existing customer: no PUT is sent,
 * so a newsletter-only signup never renames "Ada Lovelace" (customer-mapping.ts toCustomerUpdate).
 */
export function updateCarriesFields(update: CustomerUpdateInput): boolean {
  return Object.keys(update).some((field) => field !== 'id');
}
