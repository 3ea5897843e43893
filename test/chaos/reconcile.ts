import type { PlannedSignup } from './plan';

/**
 * The end-of-run accounting, by email (each planned signup has its own): what the senders had accepted
 * (202s, or SQS took the message), what BigCommerce holds, and what the dead-letter queue holds.
 *
 * - lost: accepted, yet neither a customer nor a dead letter;
 * - duplicated: more than one customer for one email;
 * - wrongly rejected: a valid signup with a dead letter (whatever else happened to it);
 * - wrongly accepted: a signup BigCommerce refuses that became a customer anyway;
 * - unexpected: a customer, subscriber or dead letter the run cannot account for (not accepted, or not planned).
 * Newsletter (docs/subscribers.md): an email-only signup is lost without a subscriber (it never becomes a
 * customer); a consenting signup must end subscribed, or unsubscribed once its opt-out was accepted
 * (`wrong newsletter state` otherwise); more than one subscriber for an email is a duplicate.
 * Double opt-in (docs/subscribers.md): every accepted double opt-in signup got exactly one mail (the run is
 * shorter than the mail window; `doubleOptInWithoutMail`, `doubleOptInTooManyMails` otherwise); a
 * confirmed one ends with one subscriber (`lost` otherwise), an unconfirmed one with none
 * (`subscribedWithoutConfirmation`); a sign-up form's named person is a customer at once, a newsletter
 * box's never is.
 * Any of these fails the run. Informational: dead letters of one invalid signup beyond the first (one
 * per accepted copy is correct) and the same SQS message dead-lettered twice (a lost delete).
 */

export type DeadLetterView = Readonly<{ messageId: string; reason: string; email?: string; originalMessageId?: string }>;
export type SubscriberView = Readonly<{ email: string; consents: readonly string[] }>;

export type Reconciliation = Readonly<{
  planned: number;
  plannedInvalid: number;
  accepted: number;
  acceptedValid: number;
  acceptedInvalid: number;
  notAccepted: number;
  /** Accepted copies beyond the first (posted twice, queued twice, retried after a partial 503). */
  extraAcceptedCopies: number;
  customers: number;
  subscribers: number;
  /** Accepted opt-outs, and the subscribers left with marketing consent. */
  optOuts: number;
  subscribed: number;
  deadLetters: number;
  deadLettersByReason: Readonly<Record<string, number>>;
  /** Accepted double opt-in signups, those confirmed, those never confirmed, and the mails. */
  doubleOptIn: Readonly<{ accepted: number; confirmed: number; unconfirmed: number; mails: number }>;
  subscribedWithoutConfirmation: readonly string[];
  doubleOptInWithoutMail: readonly string[];
  doubleOptInTooManyMails: readonly string[];
  lost: readonly string[];
  duplicated: readonly string[];
  duplicatedSubscribers: readonly string[];
  wrongNewsletterState: readonly string[];
  unexpectedSubscribers: readonly string[];
  wronglyRejected: readonly string[];
  wronglyAccepted: readonly string[];
  unexpectedCustomers: readonly string[];
  unexpectedDeadLetters: readonly string[];
  extraDeadLetterCopies: number;
  redundantDeadLetters: number;
  failed: boolean;
}>;

export function reconcile(
  input: Readonly<{
    signups: readonly PlannedSignup[];
    acceptedCopies: ReadonlyMap<string, number>;
    customerEmails: readonly string[];
    subscribers?: readonly SubscriberView[];
    acceptedOptOuts?: ReadonlySet<string>;
    /** The double opt-in people who pressed Confirm (answered 200), and the mails by recipient. */
    doubleOptIn?: Readonly<{ confirmed: ReadonlySet<string>; mails: ReadonlyMap<string, number> }>;
    deadLetters: readonly DeadLetterView[];
  }>,
): Reconciliation {
  const confirmedSet = input.doubleOptIn?.confirmed ?? new Set<string>();
  const mailsTo = input.doubleOptIn?.mails ?? new Map<string, number>();
  const subscribedWithoutConfirmation: string[] = [];
  const doubleOptInWithoutMail: string[] = [];
  const doubleOptInTooManyMails: string[] = [];
  let doubleOptInAccepted = 0;
  const subscribersByEmail = new Map<string, SubscriberView[]>();
  for (const subscriber of input.subscribers ?? []) {
    const email = subscriber.email.toLowerCase();
    subscribersByEmail.set(email, [...(subscribersByEmail.get(email) ?? []), subscriber]);
  }
  const optOuts = input.acceptedOptOuts ?? new Set<string>();
  const customersByEmail = new Map<string, number>();
  for (const email of input.customerEmails) customersByEmail.set(email.toLowerCase(), (customersByEmail.get(email.toLowerCase()) ?? 0) + 1);
  const deadByEmail = new Map<string, number>();
  const deadLettersByReason: Record<string, number> = {};
  const messageSeen = new Map<string, number>();
  const unexpectedDeadLetters: string[] = [];
  const planned = new Map(input.signups.map((signup) => [signup.email, signup]));
  for (const letter of input.deadLetters) {
    deadLettersByReason[letter.reason] = (deadLettersByReason[letter.reason] ?? 0) + 1;
    const key = letter.originalMessageId ?? letter.messageId;
    messageSeen.set(key, (messageSeen.get(key) ?? 0) + 1);
    const email = letter.email?.toLowerCase();
    if (email === undefined || !planned.has(email) || !input.acceptedCopies.get(email)) {
      unexpectedDeadLetters.push(email ?? `(message ${letter.messageId}: no email)`);
      continue;
    }
    deadByEmail.set(email, (deadByEmail.get(email) ?? 0) + 1);
  }

  const lost: string[] = [];
  const duplicated: string[] = [];
  const wronglyRejected: string[] = [];
  const wronglyAccepted: string[] = [];
  let accepted = 0;
  let acceptedValid = 0;
  let extraAcceptedCopies = 0;
  let extraDeadLetterCopies = 0;
  const wrongNewsletterState: string[] = [];
  for (const signup of input.signups) {
    const copies = input.acceptedCopies.get(signup.email) ?? 0;
    if (copies === 0) continue;
    accepted += 1;
    extraAcceptedCopies += copies - 1;
    const customers = customersByEmail.get(signup.email) ?? 0;
    const dead = deadByEmail.get(signup.email) ?? 0;
    const own = subscribersByEmail.get(signup.email) ?? [];
    const subscribed = own.some((subscriber) => subscriber.consents.includes('marketing_newsletter'));
    if (signup.valid && signup.doubleOptIn) {
      acceptedValid += 1;
      doubleOptInAccepted += 1;
      const mails = mailsTo.get(signup.email) ?? 0;
      if (dead > 0) wronglyRejected.push(signup.email);
      else if (signup.doubleOptIn === 'form' && customers === 0) lost.push(signup.email);
      else if (confirmedSet.has(signup.email) && !subscribed) lost.push(signup.email);
      if (!confirmedSet.has(signup.email) && own.length > 0) subscribedWithoutConfirmation.push(signup.email);
      if (signup.doubleOptIn === 'box' && customers > 0) wronglyAccepted.push(signup.email);
      if (mails === 0) doubleOptInWithoutMail.push(signup.email);
      if (mails > 1) doubleOptInTooManyMails.push(signup.email);
    } else if (signup.valid) {
      acceptedValid += 1;
      const newsletter = signup.newsletter ?? 'none';
      if (dead > 0) wronglyRejected.push(signup.email);
      else if (newsletter !== 'nameless' && customers === 0) lost.push(signup.email);
      else if (newsletter !== 'none' && own.length === 0 && !optOuts.has(signup.email)) lost.push(signup.email);
      else if (newsletter !== 'none' && subscribed === optOuts.has(signup.email)) wrongNewsletterState.push(signup.email);
      if (newsletter === 'nameless' && customers > 0) wronglyAccepted.push(signup.email);
    } else {
      if (customers > 0) wronglyAccepted.push(signup.email);
      else if (dead === 0) lost.push(signup.email);
      extraDeadLetterCopies += Math.max(0, dead - 1);
    }
    if (customers > 1) duplicated.push(signup.email);
  }
  const unexpectedCustomers = [...customersByEmail.keys()].filter((email) => !input.acceptedCopies.get(email));
  const duplicatedSubscribers = [...subscribersByEmail].filter(([, list]) => list.length > 1).map(([email]) => email);
  const unexpectedSubscribers = [...subscribersByEmail.keys()].filter((email) => !input.acceptedCopies.get(email));
  const notAccepted = input.signups.length - accepted;
  const failures =
    lost.length +
    duplicated.length +
    duplicatedSubscribers.length +
    wrongNewsletterState.length +
    unexpectedSubscribers.length +
    wronglyRejected.length +
    wronglyAccepted.length +
    unexpectedCustomers.length +
    unexpectedDeadLetters.length +
    subscribedWithoutConfirmation.length +
    doubleOptInWithoutMail.length +
    doubleOptInTooManyMails.length +
    notAccepted;
  return {
    planned: input.signups.length,
    plannedInvalid: input.signups.filter((signup) => !signup.valid).length,
    accepted,
    acceptedValid,
    acceptedInvalid: accepted - acceptedValid,
    notAccepted,
    extraAcceptedCopies,
    customers: input.customerEmails.length,
    subscribers: input.subscribers?.length ?? 0,
    optOuts: optOuts.size,
    subscribed: (input.subscribers ?? []).filter((subscriber) => subscriber.consents.includes('marketing_newsletter')).length,
    deadLetters: input.deadLetters.length,
    deadLettersByReason,
    doubleOptIn: {
      accepted: doubleOptInAccepted,
      confirmed: input.signups.filter((signup) => signup.doubleOptIn && confirmedSet.has(signup.email)).length,
      unconfirmed: input.signups.filter((signup) => signup.doubleOptIn && input.acceptedCopies.get(signup.email) && !confirmedSet.has(signup.email)).length,
      mails: [...mailsTo.values()].reduce((sum, count) => sum + count, 0),
    },
    subscribedWithoutConfirmation,
    doubleOptInWithoutMail,
    doubleOptInTooManyMails,
    lost,
    duplicated,
    duplicatedSubscribers,
    wrongNewsletterState,
    unexpectedSubscribers,
    wronglyRejected,
    wronglyAccepted,
    unexpectedCustomers,
    unexpectedDeadLetters,
    extraDeadLetterCopies,
    redundantDeadLetters: [...messageSeen.values()].reduce((sum, seen) => sum + seen - 1, 0),
    failed: failures > 0,
  };
}
