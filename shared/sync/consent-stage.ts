import { ConfirmationMailError, type ConfirmationMailer, composeConfirmationMail, confirmationLink } from '../consent/confirmation-mail';
import { newNonce, signConfirmationToken } from '../consent/confirmation-token';
import type { ConsentKeys } from '../consent/consent-keys';
import {
  type ConsentLookup,
  type ConsentStore,
  ConsentStoreError,
  type EvidenceRecord,
  type PendingConfirmation,
  type PendingKey,
  pendingKeyOf,
} from '../consent/consent-store';
import { type ConfirmationMailSettings, decideMail, isOpen } from '../consent/double-opt-in';
import { evidenceRecord } from '../consent/evidence';
import { describeError, type Logger } from '../logger';
import type { ConfirmationMessage, SignupMessage } from '../signup/signup-schema';
import type { Rejection } from './decode-message';
import type { SubscriberStatus, SyncOutcome } from './outcome';
import type { SyncItem } from './sync-engine';

/**
 * The sync's consent work around the BigCommerce writes (docs/privacy.md, docs/subscribers.md):
 * 1. one read of the consent table per batch (`prepare`): the erasure entry of every person in it and the
 *    pending double opt-in request of every double opt-in signup and confirmation;
 * 2. a message received before its person was erased is dropped (`erased`): no redrive, retry or replay
 *    brings a forgotten person back;
 * 3. a consenting signup from a double opt-in source writes no consent: its customer part goes on only
 *    when it may be written at once (mode `subscriber`, both names real), and after the BigCommerce
 *    writes (`finish`) one confirmation mail goes out per person, source and window;
 * 4. a confirmation becomes the signup it confirms (from the pending request), marked newsletter-only
 *    when its customer was written already;
 * 5. after BigCommerce accepted them, every consent, opt-out and confirmation written gets its evidence
 *    record; a message whose record cannot be written is retried (the writes are idempotent), never
 *    settled without it.
 */

export type ConsentDeps = Readonly<{
  store: ConsentStore;
  keys: ConsentKeys;
  /** Double opt-in settings by source id (the sync's DOUBLE_OPT_IN). */
  doubleOptIn: ReadonlyMap<string, ConfirmationMailSettings>;
  /** Sends the confirmation mails (SES v2; local mode's outbox); absent: double opt-in signups are dead-lettered. */
  mailer?: ConfirmationMailer;
  /** The ingest API's public base URL, for the links. */
  confirmBaseUrl?: string;
}>;

export type DecodedMessage =
  | Readonly<{ kind: 'signup'; id: string; message: SignupMessage }>
  | Readonly<{ kind: 'confirmation'; id: string; message: ConfirmationMessage }>;

type DoiSignup = Readonly<{ id: string; message: SignupMessage; person: string; customerWritten: boolean; settings: ConfirmationMailSettings }>;
type Confirming = Readonly<{ message: ConfirmationMessage; pending: PendingConfirmation; person: string }>;

export type ConsentPlan = Readonly<{
  /** What goes to the BigCommerce engine. */
  items: SyncItem[];
  /** Outcomes decided already (erased, void, refused, or everything deferred when the table cannot be read). */
  settled: Map<string, SyncOutcome>;
  lookup: ConsentLookup;
  doi: DoiSignup[];
  confirmations: Map<string, Confirming>;
  /** The person key of every decoded message (evidence is filed under it). */
  persons: Map<string, string>;
}>;

const NO_LOOKUP: ConsentLookup = { erasedAtMs: new Map(), pending: new Map() };

const consenting = (message: SignupMessage): boolean => message.signup.opt_out !== true && message.signup.consent?.marketing === true;
const hasRealNames = (message: SignupMessage): boolean =>
  !!message.signup.first_name && !!message.signup.last_name && (message.placeholder_names ?? []).length === 0;

/** The signup without its consents: what may be written before the confirmation (a customer, no newsletter). */
function withoutConsent(message: SignupMessage): SignupMessage {
  const { consent: _held, ...signup } = message.signup;
  return { ...message, signup };
}

/** The signup a confirmation confirms, as a message the engine writes: consenting, dated at the click. */
function confirmedSignup(confirmation: ConfirmationMessage, pending: PendingConfirmation & { message: SignupMessage }): SignupMessage {
  const { double_opt_in: _done, ...source } = pending.message.source;
  const { evidence: _requestEvidence, ...request } = pending.message;
  return {
    ...request,
    id: confirmation.id,
    idempotency_key: `confirmation:${confirmation.confirmation.nonce}`,
    received_at: confirmation.received_at,
    source,
    signup: { ...pending.message.signup, consent: { ...pending.message.signup.consent, marketing: true }, occurred_at: confirmation.received_at },
  };
}

export async function prepareConsent(decoded: readonly DecodedMessage[], deps: ConsentDeps, nowMs: number, logger: Logger): Promise<ConsentPlan> {
  const settled = new Map<string, SyncOutcome>();
  const persons = new Map<string, string>();
  const pendingKeys: PendingKey[] = [];
  for (const item of decoded) {
    const person = item.kind === 'signup' ? deps.keys.personOf(item.message.signup.email) : item.message.confirmation.person;
    persons.set(item.id, person);
    if (item.kind === 'confirmation' || (item.message.source.double_opt_in !== undefined && consenting(item.message)))
      pendingKeys.push({ person, sourceId: item.message.source.id });
  }
  let lookup: ConsentLookup;
  try {
    lookup = decoded.length > 0 ? await deps.store.lookup([...new Set(persons.values())], pendingKeys) : NO_LOOKUP;
  } catch (error) {
    if (!(error instanceof ConsentStoreError)) throw error;
    // Not knowing whether a person was erased, nothing of theirs may be written: the batch waits.
    logger.warn('consent table unavailable; deferring the batch', describeError(error));
    for (const item of decoded) settled.set(item.id, { status: 'deferred', reason: 'consent-store-unavailable' });
    return { items: [], settled, lookup: NO_LOOKUP, doi: [], confirmations: new Map(), persons };
  }

  const items: SyncItem[] = [];
  const doi: DoiSignup[] = [];
  const confirmations = new Map<string, Confirming>();
  for (const item of decoded) {
    const person = persons.get(item.id)!;
    const erasedAt = lookup.erasedAtMs.get(person);
    if (erasedAt !== undefined && Date.parse(item.message.received_at) <= erasedAt) {
      settled.set(item.id, { status: 'erased' });
      continue;
    }
    if (item.kind === 'confirmation') {
      const pending = lookup.pending.get(pendingKeyOf({ person, sourceId: item.message.source.id }));
      const valid =
        isOpen(pending, nowMs) &&
        pending.message !== undefined &&
        pending.nonces.includes(item.message.confirmation.nonce) &&
        (erasedAt === undefined || Date.parse(pending.message.received_at) > erasedAt);
      if (!valid || pending?.message === undefined) {
        settled.set(item.id, { status: 'confirmation-void' });
        continue;
      }
      const withMessage = pending as PendingConfirmation & { message: SignupMessage };
      confirmations.set(item.id, { message: item.message, pending: withMessage, person });
      items.push({ id: item.id, message: confirmedSignup(item.message, withMessage), ...(pending.customerWritten ? { newsletterOnly: true } : {}) });
      continue;
    }
    const { message } = item;
    if (message.source.double_opt_in === undefined || !consenting(message)) {
      items.push({ id: item.id, message });
      continue;
    }
    const settings = deps.doubleOptIn.get(message.source.id);
    if (settings === undefined || deps.mailer === undefined || deps.confirmBaseUrl === undefined) {
      const rejection: Rejection = {
        code: 'double-opt-in-unconfigured',
        detail: `Source ${message.source.id} asks for double opt-in, but the sync has no doubleOptIn settings for it: deploy its settings, then redrive`,
      };
      settled.set(item.id, { status: 'rejected', rejection });
      continue;
    }
    const customerWritten = message.source.double_opt_in === 'subscriber' && hasRealNames(message);
    if (customerWritten) items.push({ id: item.id, message: withoutConsent(message) });
    doi.push({ id: item.id, message, person, customerWritten, settings });
  }
  return { items, settled, lookup, doi, confirmations, persons };
}

type DoiResult = Readonly<{ status: SubscriberStatus }> | Readonly<{ outcome: SyncOutcome }>;

/** Sends (or holds) the confirmation mail of each person and source; one result per double opt-in message. */
async function confirmationMails(plan: ConsentPlan, deps: ConsentDeps, nowMs: number, logger: Logger): Promise<Map<string, DoiResult>> {
  const results = new Map<string, DoiResult>();
  const groups = new Map<string, DoiSignup[]>();
  for (const signup of plan.doi) {
    const key = pendingKeyOf({ person: signup.person, sourceId: signup.message.source.id });
    groups.set(key, [...(groups.get(key) ?? []), signup]);
  }
  for (const [key, members] of groups) {
    const set = (result: DoiResult) => {
      for (const member of members) results.set(member.id, result);
    };
    const latest = [...members].sort((a, b) => a.message.received_at.localeCompare(b.message.received_at)).at(-1)!;
    const { settings, person } = latest;
    const sourceId = latest.message.source.id;
    const state = plan.lookup.pending.get(key);
    const decision = decideMail(
      state,
      members.map((member) => member.id),
      settings,
      nowMs,
    );
    if (decision.action === 'sent-before') {
      set({ status: 'confirmation-sent' });
      continue;
    }
    if (decision.action === 'hold') {
      logger.info('double opt-in: no mail (sent recently, or the request had its mails)', { sourceId, reason: decision.reason, signups: members.length });
      set({ status: 'awaiting-confirmation' });
      continue;
    }
    let nonce: string;
    let expiresAtMs: number;
    let claimId: string;
    try {
      if (decision.action === 'resend' && state !== undefined && state.nonces.length > 0) {
        nonce = state.nonces.at(-1)!;
        expiresAtMs = state.expiresAtMs;
        claimId = decision.messageId;
      } else {
        nonce = newNonce();
        expiresAtMs = nowMs + settings.expiresHours * 3_600_000;
        claimId = latest.id;
        const fresh = decision.action === 'claim' && decision.fresh;
        const next: PendingConfirmation = {
          person,
          sourceId,
          email: latest.message.signup.email,
          expiresAtMs,
          mailedAtMs: nowMs,
          mailClaim: claimId,
          mails: fresh || state === undefined ? 1 : state.mails + 1,
          sentBy: fresh || state === undefined ? [] : state.sentBy,
          nonces: [...(fresh || state === undefined ? [] : state.nonces), nonce].slice(-settings.maxMails),
          version: (state?.version ?? 0) + 1,
          message: latest.message,
          customerWritten: latest.customerWritten,
        };
        if (!(await deps.store.claimMail(next, state?.version))) {
          // Another sync claimed this request's mail a moment ago.
          set({ status: 'awaiting-confirmation' });
          continue;
        }
      }
    } catch (error) {
      if (!(error instanceof ConsentStoreError)) throw error;
      logger.warn('double opt-in: the pending request could not be written; deferring', describeError(error));
      set({ outcome: { status: 'deferred', reason: 'consent-store-unavailable' } });
      continue;
    }
    const token = signConfirmationToken({ person, sourceId, nonce, expiresAt: Math.floor(expiresAtMs / 1000) }, deps.keys.tokenKey);
    const mail = composeConfirmationMail(latest.message.signup.email, confirmationLink(deps.confirmBaseUrl!, token), settings);
    try {
      await deps.mailer!.send(mail);
    } catch (error) {
      if (!(error instanceof ConfirmationMailError)) throw error;
      logger.warn('double opt-in: the confirmation mail was not sent', { sourceId, ...describeError(error) });
      set({
        outcome: error.retryable
          ? { status: 'deferred', reason: 'mail-unavailable' }
          : { status: 'rejected', rejection: { code: 'confirmation-mail-rejected', detail: error.message } },
      });
      continue;
    }
    try {
      await deps.store.markMailSent({ person, sourceId }, claimId);
    } catch (error) {
      // The mail went out; unrecorded, a retry of this message could send it once more.
      logger.warn('double opt-in: mail sent, but not recorded as sent', describeError(error));
    }
    logger.info('double opt-in: confirmation mail sent', { sourceId, signups: members.length });
    set({ status: 'confirmation-sent' });
  }
  return results;
}

const SUBSCRIBED: ReadonlySet<string> = new Set(['subscribed', 'resubscribed']);
const WITHDRAWN: ReadonlySet<string> = new Set(['unsubscribed', 'not-subscribed']);

/** The newsletter part of an outcome (a customer's `subscriber`, or a newsletter-only status). */
function newsletterPart(outcome: SyncOutcome): Readonly<{ status: string; subscriberId?: number }> | undefined {
  if ('subscriber' in outcome && outcome.subscriber) return outcome.subscriber;
  if (SUBSCRIBED.has(outcome.status) || WITHDRAWN.has(outcome.status)) return outcome as { status: string; subscriberId?: number };
  return undefined;
}

/**
 * After the BigCommerce writes: the confirmation mails, the outcomes of double opt-in signups, the
 * evidence of what was written, and the confirmed requests marked as such. Returns every outcome.
 */
export async function finishConsent(
  plan: ConsentPlan,
  engineOutcomes: ReadonlyMap<string, SyncOutcome>,
  deps: ConsentDeps,
  nowMs: number,
  logger: Logger,
): Promise<Map<string, SyncOutcome>> {
  const outcomes = new Map<string, SyncOutcome>(plan.settled);
  for (const [id, outcome] of engineOutcomes) outcomes.set(id, outcome);
  const mails = plan.doi.length > 0 ? await confirmationMails(plan, deps, nowMs, logger) : new Map<string, DoiResult>();
  for (const signup of plan.doi) {
    const result = mails.get(signup.id)!;
    const engine = engineOutcomes.get(signup.id);
    if ('outcome' in result) {
      // A failed mail outranks a customer written (its message must come back), unless the customer part failed too.
      if (engine === undefined || (engine.status !== 'deferred' && engine.status !== 'rejected')) outcomes.set(signup.id, result.outcome);
      continue;
    }
    if (engine === undefined) outcomes.set(signup.id, { status: result.status });
    else if (engine.status === 'created' || engine.status === 'existed' || engine.status === 'updated')
      outcomes.set(signup.id, { ...engine, subscriber: { status: result.status } });
  }

  const recordedAt = new Date(nowMs).toISOString();
  const records = new Map<string, EvidenceRecord>();
  const byId = new Map(plan.items.map((item) => [item.id, item.message]));
  for (const [id, outcome] of engineOutcomes) {
    const message = byId.get(id);
    if (message === undefined) continue;
    const person = plan.persons.get(id)!;
    const confirmation = plan.confirmations.get(id);
    const part = newsletterPart(outcome);
    const customerId = 'customerId' in outcome ? outcome.customerId : undefined;
    const base = {
      person,
      message,
      recordedAt,
      ...(part?.subscriberId !== undefined ? { subscriberId: part.subscriberId } : {}),
      ...(customerId !== undefined ? { customerId } : {}),
    };
    if (part && SUBSCRIBED.has(part.status) && message.signup.consent?.marketing === true) {
      records.set(
        id,
        evidenceRecord({
          ...base,
          action: confirmation ? 'confirmation' : 'consent',
          outcome: part.status,
          ...(confirmation ? { confirmation: { message: confirmation.message, pending: confirmation.pending } } : {}),
        }),
      );
    } else if (part && WITHDRAWN.has(part.status) && message.signup.opt_out === true) {
      records.set(id, evidenceRecord({ ...base, action: 'opt-out', outcome: part.status }));
    } else if ((outcome.status === 'created' || outcome.status === 'updated') && message.signup.consent?.abandoned_cart === true) {
      // The customer's own consent flag (accepts_product_review_abandoned_cart_emails) is a consent written too.
      records.set(id, evidenceRecord({ ...base, action: 'consent', outcome: `customer-${outcome.status}` }));
    }
  }
  if (records.size > 0) {
    try {
      await deps.store.record([...records.values()]);
    } catch (error) {
      if (!(error instanceof ConsentStoreError)) throw error;
      // Written to BigCommerce without its evidence: not done. The retry writes again (idempotently) and records.
      logger.warn('evidence could not be recorded; the written signups will be retried', { ...describeError(error), records: records.size });
      for (const id of records.keys()) outcomes.set(id, { status: 'deferred', reason: 'consent-store-unavailable' });
      return outcomes;
    }
  }
  for (const [id, confirming] of plan.confirmations) {
    if (!records.has(id)) continue;
    try {
      await deps.store.markConfirmed({ person: confirming.person, sourceId: confirming.message.source.id }, recordedAt);
    } catch (error) {
      // A second click then confirms again: the same subscriber, the same evidence key.
      logger.warn('double opt-in: confirmed, but the request could not be marked', describeError(error));
    }
  }
  return outcomes;
}
