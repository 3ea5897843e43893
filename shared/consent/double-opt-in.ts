import * as z from '../zod-mini';

/**
 * Double opt-in per source (docs/subscribers.md, "Double opt-in"): a consenting signup from a source with
 * `doubleOptIn` is mailed one confirmation link; only the confirmation writes the newsletter consent.
 * These are the settings the sync sends with (the source's `doubleOptIn` less what only the ingest
 * needs), validated at synth (shared/sources/source-config.ts) and at the sync's cold start.
 */

/** `news@example.com` or `Example Shop <news@example.com>`: one address, an optional display name. */
const FROM = /^(?:([^<>\r\n"]{1,100}?)\s*<([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)>|([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+))$/;
const ADDRESS = /^[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+$/;

export type SenderAddress = Readonly<{ address: string; displayName?: string }>;

/** The address and display name of a `from` setting (undefined when it is not one). */
export function parseSender(from: string): SenderAddress | undefined {
  const match = FROM.exec(from.trim());
  if (!match) return undefined;
  const address = (match[2] ?? match[3] ?? '').toLowerCase();
  const displayName = match[1]?.trim();
  return displayName ? { address, displayName } : { address };
}

/** The domain of the sender address: the SES identity it is verified under when not verified on its own. */
export const senderDomain = (sender: SenderAddress): string => sender.address.slice(sender.address.lastIndexOf('@') + 1);

export const CONFIRMATION_DEFAULTS = { expiresHours: 48, resendAfterMinutes: 15, maxMails: 3 } as const;

const text = (max: number) => z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1, { error: 'must not be empty' }), z.maxLength(max));

export const confirmationMailSettingsSchema = z.strictObject({
  /** The sender: an address of an SES identity verified in the stack's region, with an optional display name. */
  from: z.string({ error: 'must be a string' }).check(
    z.refine((value: string) => parseSender(value) !== undefined, {
      error: 'must be an email address, or a display name and one: "Example Shop <news@example.com>"',
    }),
  ),
  subject: text(200),
  replyTo: z.optional(z.string({ error: 'must be a string' }).check(z.regex(ADDRESS, { error: 'must be an email address' }))),
  /** How long a link confirms (1 h to 7 days). */
  expiresHours: z._default(z.int({ error: 'must be a whole number of hours' }).check(z.gte(1), z.lte(168)), CONFIRMATION_DEFAULTS.expiresHours),
  /** A repeated signup within this many minutes of the last mail sends none (subscription bombing, double clicks). */
  resendAfterMinutes: z._default(z.int({ error: 'must be a whole number of minutes' }).check(z.gte(1), z.lte(1440)), CONFIRMATION_DEFAULTS.resendAfterMinutes),
  /** Mails for one pending request at most, whatever the window (then it waits for its expiry). */
  maxMails: z._default(z.int({ error: 'must be a whole number' }).check(z.gte(1), z.lte(10)), CONFIRMATION_DEFAULTS.maxMails),
  /** One paragraph above the link (plain text), e.g. what the newsletter is. */
  intro: z.optional(text(1000)),
  /** An SES configuration set to send with (bounce and complaint events); the sync may use only this one. */
  configurationSet: z.optional(
    z.string({ error: 'must be a string' }).check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be an SES configuration set name' })),
  ),
});
export type ConfirmationMailSettings = z.output<typeof confirmationMailSettingsSchema>;

/**
 * What waits for the confirmation (by the source's intent, docs/subscribers.md):
 * - `subscriber`: the newsletter consent only; a signup with both real names becomes a customer at once
 *   (a sign-up form with a newsletter box: the account was asked for, the newsletter needs proof);
 * - `everything`: the whole signup (a newsletter box: submitting it is only the opt-in, so nothing of an
 *   address nobody confirmed is written, not even a customer).
 */
export const DOUBLE_OPT_IN_MODES = ['subscriber', 'everything'] as const;
export type DoubleOptInMode = (typeof DOUBLE_OPT_IN_MODES)[number];

/** A pending request's mail state, as the decision below needs it. */
export type MailState = Readonly<{
  /** When the request expires (ms since the epoch). */
  expiresAtMs: number;
  /** When the last mail was claimed (ms), and by which message. */
  mailedAtMs?: number;
  mailClaim?: string;
  /** Mails claimed for this request. */
  mails: number;
  /** Messages whose mail SES accepted. */
  sentBy: readonly string[];
  confirmedAt?: string;
}>;

export type MailDecision =
  /** One of these messages already had its mail sent (a retry): nothing more to send. */
  | Readonly<{ action: 'sent-before' }>
  /** One of these messages claimed the mail on an earlier attempt that did not finish: send it again. */
  | Readonly<{ action: 'resend'; messageId: string }>
  /** Claim the mail (a new request, or the window is over): the claim names the state it replaces. */
  | Readonly<{ action: 'claim'; fresh: boolean }>
  /** Within the window, or the request has had its mails: nothing is sent. */
  | Readonly<{ action: 'hold'; reason: 'window' | 'limit' }>;

/** Whether a pending request still counts (not expired, not confirmed). */
export const isOpen = (state: MailState | undefined, nowMs: number): state is MailState =>
  state !== undefined && state.confirmedAt === undefined && state.expiresAtMs > nowMs;

const withinWindow = (state: MailState, settings: ConfirmationMailSettings, nowMs: number): boolean =>
  state.mailedAtMs !== undefined && nowMs - state.mailedAtMs < settings.resendAfterMinutes * 60_000;

/**
 * Whether the signups of one person and source in this batch (`messageIds`) send a confirmation mail:
 * at most one per `resendAfterMinutes`, at most `maxMails` per request; a retried message never mails twice.
 */
export function decideMail(state: MailState | undefined, messageIds: readonly string[], settings: ConfirmationMailSettings, nowMs: number): MailDecision {
  if (state !== undefined && messageIds.some((id) => state.sentBy.includes(id))) return { action: 'sent-before' };
  // Confirmed a moment ago: a repeat within the window mails nothing either (whoever sends it); later, a
  // new request starts (the person may have unsubscribed since, and may subscribe again).
  if (state?.confirmedAt !== undefined && state.expiresAtMs > nowMs && withinWindow(state, settings, nowMs)) return { action: 'hold', reason: 'window' };
  if (!isOpen(state, nowMs)) return { action: 'claim', fresh: true };
  if (state.mailClaim !== undefined && messageIds.includes(state.mailClaim)) return { action: 'resend', messageId: state.mailClaim };
  if (state.mails >= settings.maxMails) return { action: 'hold', reason: 'limit' };
  if (withinWindow(state, settings, nowMs)) return { action: 'hold', reason: 'window' };
  return { action: 'claim', fresh: false };
}
