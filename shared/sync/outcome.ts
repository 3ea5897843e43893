import type { Rejection } from './decode-message';

/**
 * Why a message goes back to the queue for a later attempt (its data is fine). `consent-store-unavailable`:
 * the consent table could not be read or written (docs/privacy.md); `mail-unavailable`: SES did not take a
 * double opt-in mail now (throttled, quota, identity not verified yet).
 */
export type DeferReason =
  | 'rate-limited'
  | 'bigcommerce-unavailable'
  | 'unauthorized'
  | 'out-of-time'
  | 'configuration'
  | 'consent-store-unavailable'
  | 'mail-unavailable';

/**
 * What became of a message's newsletter part (docs/subscribers.md):
 * - `subscribed`: a subscriber with `marketing_newsletter` exists (created now, or found already so);
 * - `resubscribed`: an existing subscriber lacked the consent and was given it (PUT);
 * - `unsubscribed`: an opt-out: the subscriber's consents no longer hold `marketing_newsletter`;
 * - `not-subscribed`: an opt-out for an email with no subscriber: nothing to change;
 * - `superseded`: a subscription for a subscriber whose consent was withdrawn after the subscription
 *   happened (a late or repeated delivery): it stays unsubscribed;
 * - `confirmation-sent`: double opt-in: the confirmation mail went out, nothing is subscribed until it is confirmed;
 * - `awaiting-confirmation`: double opt-in: a mail went out less than `resendAfterMinutes` ago (or the request
 *   had all its mails), so none was sent for this signup.
 */
export type SubscriberStatus = 'subscribed' | 'resubscribed' | 'unsubscribed' | 'not-subscribed' | 'superseded' | 'confirmation-sent' | 'awaiting-confirmation';
/** The statuses the SubscriberOutcomes metric counts; the double opt-in ones are log fields only (docs/operations.md). */
export const SUBSCRIBER_STATUSES = [
  'subscribed',
  'resubscribed',
  'unsubscribed',
  'not-subscribed',
  'superseded',
] as const satisfies readonly SubscriberStatus[];
export type SubscriberPart = Readonly<{ status: SubscriberStatus; subscriberId?: number }>;

/**
 * What became of one queue message. Every message ends in exactly one of these. A message with a
 * customer part is named after it (`created`, ...) and carries its newsletter part in `subscriber`; a
 * newsletter-only message (a nameless subscriber, an opt-out) is named after its newsletter part.
 */
export type SyncOutcome =
  | Readonly<{ status: 'created'; customerId: number; subscriber?: SubscriberPart }>
  | Readonly<{ status: 'existed'; customerId?: number; subscriber?: SubscriberPart }>
  | Readonly<{ status: 'updated'; customerId: number; subscriber?: SubscriberPart }>
  | Readonly<{ status: SubscriberStatus; subscriberId?: number }>
  | Readonly<{ status: 'rejected'; rejection: Rejection }>
  | Readonly<{ status: 'deferred'; reason: DeferReason; retryAfterMs?: number }>
  /** Received before its person was erased (`signup-sync forget`): dropped, nothing written (docs/privacy.md). */
  | Readonly<{ status: 'erased' }>
  /** A double opt-in confirmation that confirms nothing (expired, withdrawn, already confirmed, superseded): nothing written. */
  | Readonly<{ status: 'confirmation-void' }>;

export type SyncStatus = SyncOutcome['status'];

/** Done = the message can be deleted: every part of it is done, or it was rejected (and goes to the DLQ). */
export const isSettled = (outcome: SyncOutcome): boolean => outcome.status !== 'deferred';
