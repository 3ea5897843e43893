import type { SignupMessage } from '../signup/signup-schema';
import type { MailState } from './double-opt-in';

/**
 * The consent table's port (the DynamoDB adapter is shared/aws/dynamodb-consent-store.ts; local mode runs
 * the same adapter on its embedded DynamoDB). One partition per person (the person key of
 * consent-keys.ts), holding:
 * - evidence: one record per consent, opt-out and confirmation the sync wrote (kept `consentRetentionDays`);
 * - the pending double opt-in request of each source (until it expires);
 * - after `signup-sync forget`, only the erasure entry: that an erasure happened, and when.
 */

/** Evidence is kept three years by default (docs/privacy.md): consent must be provable while it is relied on, and for a while after. */
export const DEFAULT_CONSENT_RETENTION_DAYS = 1095;

export type EvidenceAction = 'consent' | 'opt-out' | 'confirmation';

/** One consent, opt-out or confirmation the product wrote to BigCommerce, and what proves it (docs/privacy.md). */
export type EvidenceRecord = Readonly<{
  person: string;
  email: string;
  action: EvidenceAction;
  /** When it happened (the event-time rule: `occurred_at` capped at the receipt; a confirmation: its click). */
  occurredAt: string;
  /** When the ingest received it. */
  receivedAt: string;
  /** When this record was written (right after BigCommerce accepted the subscriber write). */
  recordedAt: string;
  source: Readonly<{ id: string; kind: string }>;
  /** The wording version the source declares (its `consentVersion`). */
  consentVersion?: string;
  /** What was given (`marketing_newsletter`, `abandoned_cart`); an opt-out withdrew `marketing_newsletter`. */
  consents: readonly string[];
  page?: string;
  form?: string;
  ip?: string;
  /** The ingest's id of the delivery (the id its 202 answered), and the sender's own event id. */
  deliveryId: string;
  eventId?: string;
  /** What the sync did: subscribed, resubscribed, unsubscribed, not-subscribed. */
  outcome: string;
  subscriberId?: number;
  customerId?: number;
  /** A confirmation: the signup it confirms, and when its mail went out. */
  request?: Readonly<{
    occurredAt: string;
    receivedAt: string;
    deliveryId: string;
    eventId?: string;
    mailedAt?: string;
    page?: string;
    form?: string;
    ip?: string;
  }>;
}>;

export type PendingKey = Readonly<{ person: string; sourceId: string }>;
export const pendingKeyOf = (key: PendingKey): string => `${key.person} ${key.sourceId}`;

/** A double opt-in request waiting for its confirmation. */
export type PendingConfirmation = MailState &
  PendingKey &
  Readonly<{
    email: string;
    /** The nonces of the links mailed for this request (newest last); a link confirms only while its nonce is here. */
    nonces: readonly string[];
    /** Bumped by every claim: a claim replaces only the version it read (two syncs never both mail). */
    version: number;
    /** The signup as it arrived (the message of the latest mail), from which the confirmation writes; absent once confirmed. */
    message?: SignupMessage;
    /** Its customer part was written at once (mode `subscriber`, both names real): the confirmation writes the subscriber only. */
    customerWritten: boolean;
  }>;

export type ConsentLookup = Readonly<{
  /** Erasure times (ms since the epoch) by person key. */
  erasedAtMs: ReadonlyMap<string, number>;
  /** Pending requests by `pendingKeyOf`. */
  pending: ReadonlyMap<string, PendingConfirmation>;
}>;

export interface ConsentStore {
  /** Erasure entries of these persons and these pending requests, in one read per batch. */
  lookup(persons: readonly string[], pending: readonly PendingKey[]): Promise<ConsentLookup>;
  /** Writes evidence records (idempotent: a retry writes the same keys). */
  record(records: readonly EvidenceRecord[]): Promise<void>;
  /** Writes `next` if the stored request is still the one read (`replacing`: its version, undefined = none); false when another sync claimed first. */
  claimMail(next: PendingConfirmation, replacing: number | undefined): Promise<boolean>;
  /** SES accepted the mail of `messageId`. */
  markMailSent(key: PendingKey, messageId: string): Promise<void>;
  /** The confirmation was written: keeps the request (so a second click says so) without its signup. */
  markConfirmed(key: PendingKey, confirmedAt: string): Promise<void>;
  /** One pending request (the confirm route). */
  readPending(key: PendingKey): Promise<PendingConfirmation | undefined>;
}

/** The consent table could not be read or written: retry later (the sync defers, the confirm route answers 503). */
export class ConsentStoreError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConsentStoreError';
  }
}
