import type { Rejection } from './decode-message';

/** Why a message goes back to the queue for a later attempt (its data is fine). */
export type DeferReason = 'rate-limited' | 'bigcommerce-unavailable' | 'unauthorized' | 'out-of-time' | 'configuration';

/**
 * What became of a message's newsletter part (docs/subscribers.md):
 * - `subscribed`: a subscriber with `marketing_newsletter` exists (created now, or found already so);
 * - `resubscribed`: an existing subscriber lacked the consent and was given it (PUT);
 * - `unsubscribed`: an opt-out: the subscriber's consents no longer hold `marketing_newsletter`;
 * - `not-subscribed`: an opt-out for an email with no subscriber: nothing to change;
 * - `superseded`: a subscription for a subscriber whose consent was withdrawn after the subscription
 *   happened (a late or repeated delivery): it stays unsubscribed.
 */
export type SubscriberStatus = 'subscribed' | 'resubscribed' | 'unsubscribed' | 'not-subscribed' | 'superseded';
export const SUBSCRIBER_STATUSES: readonly SubscriberStatus[] = ['subscribed', 'resubscribed', 'unsubscribed', 'not-subscribed', 'superseded'];
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
  | Readonly<{ status: 'deferred'; reason: DeferReason; retryAfterMs?: number }>;

export type SyncStatus = SyncOutcome['status'];

/** Done = the message can be deleted: every part of it is done, or it was rejected (and goes to the DLQ). */
export const isSettled = (outcome: SyncOutcome): boolean => outcome.status !== 'deferred';
