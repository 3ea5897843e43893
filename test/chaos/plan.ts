import { createPrng, type Prng, shuffled } from '../../local/bigcommerce-sandbox/prng';

/**
 * What the chaos run sends: N distinct signups (one email each), seeded so a run can be replayed.
 *
 * - 3 % are permanently invalid for BigCommerce: their emails match the sandbox's `rejectEmails`, so the
 *   ingest accepts them and BigCommerce refuses them; they must end in the DLQ, never as customers.
 * - Most are posted one per request; about 8 % travel in requests of 2–25 (a request over 10 signups is two
 *   SendMessageBatch calls, so a 503 after the first one leaves duplicates when the sender retries).
 * - About 2 % of requests are posted twice (a sender that retries after a lost answer; the same event ids):
 *   half right away, half a few seconds later (another batch, so BigCommerce says "already in use").
 * - About 1 % of signups skip the API and are sent straight to the signups queue twice (the same message
 *   body twice: SQS's at-least-once delivery, or an import re-run).
 * - Newsletter traffic (docs/subscribers.md): 20 % of the valid signups give marketing consent (a customer
 *   and a subscriber), 10 % are email-only with consent (a subscriber, no customer); 30 % of those
 *   consenting later unsubscribe (an opt-out, sent once their subscriber exists, as a person would).
 * - Double opt-in traffic (docs/subscribers.md, "Double opt-in"): 10 % of the valid signups go to one of two
 *   double opt-in sources instead, half a sign-up form (names and the newsletter box: a customer at once,
 *   the subscriber only once confirmed), half a newsletter box (email only: nothing until confirmed); 70 %
 *   of those people confirm the link in their mail, the rest never do; 20 % submit the form a second time
 *   (another submission of the same address, within the mail window).
 */

export const REJECT_EMAIL_PATTERN = /^refuse-/;
export const INVALID_SHARE = 0.03;
export const POSTED_TWICE_SHARE = 0.02;
export const QUEUED_TWICE_SHARE = 0.01;
/** Share of requests that carry 2–25 signups (13.5 on average: about 8 % of the signups). */
export const MULTI_SIGNUP_REQUEST_SHARE = 1 / 120;
export const CONSENTING_SHARE = 0.2;
export const NAMELESS_SHARE = 0.1;
export const OPT_OUT_SHARE = 0.3;
export const DOUBLE_OPT_IN_SHARE = 0.1;
export const CONFIRM_SHARE = 0.7;
export const RESUBMIT_SHARE = 0.2;

/** The two double opt-in sources of the run (test/chaos/chaos-run.ts configures them). */
export const DOI_SOURCES = { form: 'chaos-doi-form', box: 'chaos-doi-box' } as const;
export type DoubleOptIn = keyof typeof DOI_SOURCES;

/** What a signup asks of the newsletter: nothing, consent with names, or consent with an email only. */
export type Newsletter = 'none' | 'consent' | 'nameless';

export type PlannedSignup = Readonly<{
  index: number;
  email: string;
  /** false: BigCommerce refuses it for good (rejectEmails). */
  valid: boolean;
  newsletter: Newsletter;
  /** The person unsubscribes later (only consenting signups). */
  optOut: boolean;
  /** Sent to a double opt-in source: a sign-up `form` (names) or a newsletter `box` (email only). */
  doubleOptIn?: DoubleOptIn;
  /** The person confirms the link of their mail (double opt-in only). */
  confirms?: boolean;
  body: Readonly<{ email: string; first_name?: string; last_name?: string; company?: string; consent?: { marketing: true }; event_id: string }>;
}>;

export type PlannedRequest = Readonly<{
  /** 'api': POST /signups; 'queue': straight to the signups queue (one signup); 'doi': its double opt-in source (one signup). */
  route: 'api' | 'queue' | 'doi';
  signups: readonly PlannedSignup[];
  /** How many times it is sent (2 = a duplicate delivery). */
  copies: 1 | 2;
  /** For a second API copy: ms after the first one was accepted (0 = at once, in parallel). */
  secondCopyDelayMs: number;
  /** The signups' opt-outs (optOutBody) instead of the signups themselves. */
  optOut?: true;
}>;

export type Plan = Readonly<{
  signups: readonly PlannedSignup[];
  requests: readonly PlannedRequest[];
}>;

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];

function signupAt(index: number, valid: boolean, seed: number, random: Prng): PlannedSignup {
  const email = `${valid ? 'chaos' : 'refuse'}-${seed}-${index}@example.com`;
  const first = FIRST_NAMES[Math.floor(random() * FIRST_NAMES.length)] ?? 'Ada';
  const company = random() < 0.3;
  // Refused records stay customers-only: the sandbox refuses them as customers, not as subscribers.
  const roll = valid ? random() : 1;
  const newsletter: Newsletter = roll < NAMELESS_SHARE ? 'nameless' : roll < NAMELESS_SHARE + CONSENTING_SHARE ? 'consent' : 'none';
  const optOut = newsletter !== 'none' && random() < OPT_OUT_SHARE;
  // The last tenth of the rolls that ask for nothing of the newsletter go to a double opt-in source.
  if (valid && roll >= 1 - DOUBLE_OPT_IN_SHARE) {
    const doubleOptIn: DoubleOptIn = roll >= 1 - DOUBLE_OPT_IN_SHARE / 2 ? 'box' : 'form';
    return {
      index,
      email,
      valid,
      newsletter: 'none',
      optOut: false,
      doubleOptIn,
      confirms: random() < CONFIRM_SHARE,
      body: {
        email,
        // The box is the opt-in itself (its source's intent "newsletter"); the form has a ticked newsletter box.
        ...(doubleOptIn === 'form' ? { first_name: first, last_name: `Chaos ${index}`, consent: { marketing: true as const } } : {}),
        event_id: `chaos-${seed}-${index}`,
      },
    };
  }
  return {
    index,
    email,
    valid,
    newsletter,
    optOut,
    body: {
      email,
      ...(newsletter === 'nameless' ? {} : { first_name: first, last_name: `Chaos ${index}` }),
      ...(company && newsletter !== 'nameless' ? { company: `Company ${index % 97}` } : {}),
      ...(newsletter !== 'none' ? { consent: { marketing: true as const } } : {}),
      event_id: `chaos-${seed}-${index}`,
    },
  };
}

/** The opt-out a person sends later: email only, its own event id. */
export const optOutBody = (signup: PlannedSignup) => ({ email: signup.email, opt_out: true as const, event_id: `${signup.body.event_id}-optout` });

export function makePlan(count: number, seed: number): Plan {
  const random = createPrng(seed);
  const indexes = Array.from({ length: count }, (_, index) => index);
  const invalid = new Set(shuffled(indexes, random).slice(0, Math.round(count * INVALID_SHARE)));
  const signups = indexes.map((index) => signupAt(index, !invalid.has(index), seed, random));

  const requests: PlannedRequest[] = [];
  let position = 0;
  while (position < signups.length) {
    if (signups[position]!.doubleOptIn) {
      // One submission, and for some a second one of the same address a few seconds later (a new event id).
      const again = random() < RESUBMIT_SHARE;
      requests.push({ route: 'doi', signups: [signups[position]!], copies: again ? 2 : 1, secondCopyDelayMs: again ? 500 + Math.floor(random() * 3000) : 0 });
      position += 1;
      continue;
    }
    const roll = random();
    // Signups sent straight to the queue are spread through the run.
    if (roll < QUEUED_TWICE_SHARE) {
      requests.push({ route: 'queue', signups: [signups[position]!], copies: 2, secondCopyDelayMs: Math.floor(random() * 3000) });
      position += 1;
      continue;
    }
    const size = random() < MULTI_SIGNUP_REQUEST_SHARE ? 2 + Math.floor(random() * 24) : 1;
    // A request of several stops before the next double opt-in signup (that one goes to its own source).
    const next = signups.slice(position, position + size);
    const cut = next.findIndex((signup) => signup.doubleOptIn !== undefined);
    const chunk = cut < 0 ? next : next.slice(0, cut);
    position += chunk.length;
    const twice = random() < POSTED_TWICE_SHARE;
    requests.push({ route: 'api', signups: chunk, copies: twice ? 2 : 1, secondCopyDelayMs: twice && random() < 0.5 ? 2000 + Math.floor(random() * 4000) : 0 });
  }
  return { signups, requests };
}
