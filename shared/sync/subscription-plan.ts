import { eventTimeOf } from '../signup/event-time';
import type { PlaceholderNameField, Signup, SignupMessage } from '../signup/signup-schema';
import { mergeMarkedSignups } from './customer-mapping';
import type { Rejection } from './decode-message';

/**
 * What the messages of one email in a batch ask for (docs/subscribers.md, "What a signup becomes"):
 * - a customer when the merged signups carry both names (as before schema version 2);
 * - a newsletter part when the sync's `subscribers` setting is on and a message speaks about the
 *   newsletter: marketing consent (subscribe) or an opt-out (unsubscribe). The latest of those by
 *   event time (`occurred_at` capped at the receipt, else the receipt) wins, so subscribe-then-unsubscribe
 *   ends unsubscribed, and a subscribe dated in the future cannot outrank an opt-out received after it;
 * - refused when there is neither (a nameless signup without consent), or when only a newsletter part
 *   is asked for while `subscribers` is off (nothing would be written; the DLQ keeps it for a redrive).
 */

export type NamedSignup = Signup & { first_name: string; last_name: string };
export const hasNames = (signup: Signup): signup is NamedSignup => !!signup.first_name && !!signup.last_name;

export type SubscriptionIntent = Readonly<{
  action: 'subscribe' | 'unsubscribe';
  first_name?: string;
  last_name?: string;
  /** The signup's abandoned-cart consent was given: added to the subscriber's consents too. */
  abandonedCart: boolean;
  /** When the deciding event happened (shared/signup/event-time.ts), ms since the epoch. */
  eventTime: number;
}>;

export type GroupPlan = Readonly<{
  /** Every message but opt-outs, merged (later wins field by field); undefined = only opt-outs. */
  merged: Signup | undefined;
  customer: NamedSignup | undefined;
  /** The merged names that are placeholders (customer-mapping.ts): never PUT, never given to a subscriber. */
  placeholderNames: ReadonlySet<PlaceholderNameField>;
  subscription: SubscriptionIntent | undefined;
  rejection: Rejection | undefined;
}>;

/** The one event-time rule (shared/signup/event-time.ts): `occurred_at` capped at the receipt, else the receipt. */
export const eventTime = (message: SignupMessage): number => eventTimeOf(message);

/** The newsletter event of a message, if it has one. */
function newsletterAction(message: SignupMessage): SubscriptionIntent['action'] | undefined {
  if (message.signup.opt_out === true) return 'unsubscribe';
  return message.signup.consent?.marketing === true ? 'subscribe' : undefined;
}

/** The message whose newsletter event is the latest (ties: the later received, then the later in the batch). */
export function latestNewsletterEvent(messages: readonly SignupMessage[]): SignupMessage | undefined {
  const events = messages
    .map((message, index) => ({ message, index }))
    .filter(({ message }) => newsletterAction(message) !== undefined)
    .sort((a, b) => eventTime(a.message) - eventTime(b.message) || a.message.received_at.localeCompare(b.message.received_at) || a.index - b.index);
  return events.at(-1)?.message;
}

/**
 * `newsletterOnly`: messages that write no customer part (a double opt-in confirmation whose customer
 * was written when the signup came in); their names still go to the subscriber.
 */
export function planGroup(messages: readonly SignupMessage[], subscribers: boolean, newsletterOnly: ReadonlySet<SignupMessage> = new Set()): GroupPlan {
  const signups = messages.filter((message) => message.signup.opt_out !== true);
  const marked = signups.length > 0 ? mergeMarkedSignups(signups) : undefined;
  const merged = marked?.signup;
  const placeholderNames = marked?.placeholderNames ?? new Set<PlaceholderNameField>();
  const customerSignups = signups.filter((message) => !newsletterOnly.has(message));
  const forCustomer = customerSignups.length === signups.length ? marked : customerSignups.length > 0 ? mergeMarkedSignups(customerSignups) : undefined;
  const customer = forCustomer && hasNames(forCustomer.signup) ? forCustomer.signup : undefined;
  const latest = latestNewsletterEvent(messages);
  const action = latest && newsletterAction(latest);
  // The customer's own placeholder marks: left out of its PUT.
  const customerMarks = forCustomer?.placeholderNames ?? placeholderNames;
  const none = { merged, customer, placeholderNames: customerMarks, subscription: undefined };
  if (!subscribers) {
    if (customer) return { ...none, rejection: undefined };
    const detail = action
      ? 'A newsletter-only signup or opt-out arrived while the sync writes no subscribers (setting subscribers: false)'
      : 'No first_name and last_name and no marketing consent: neither a customer nor a subscriber';
    return { ...none, rejection: { code: action ? 'subscribers-disabled' : 'nameless', detail } };
  }
  if (!customer && merged && !signups.some((message) => message.signup.consent?.marketing === true)) {
    return { ...none, rejection: { code: 'nameless', detail: 'No first_name and last_name and no marketing consent: neither a customer nor a subscriber' } };
  }
  const subscription: SubscriptionIntent | undefined = action &&
    latest && {
      action,
      ...(merged?.first_name && !placeholderNames.has('first_name') ? { first_name: merged.first_name } : {}),
      ...(merged?.last_name && !placeholderNames.has('last_name') ? { last_name: merged.last_name } : {}),
      abandonedCart: merged?.consent?.abandoned_cart === true,
      eventTime: eventTime(latest),
    };
  return { merged, customer, placeholderNames: customerMarks, subscription, rejection: undefined };
}
