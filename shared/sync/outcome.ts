import type { Rejection } from './decode-message';

/** Why a message goes back to the queue for a later attempt (its data is fine). */
export type DeferReason = 'rate-limited' | 'bigcommerce-unavailable' | 'unauthorized' | 'out-of-time' | 'configuration';

/** What became of one queue message. Every message ends in exactly one of these. */
export type SyncOutcome =
  | Readonly<{ status: 'created'; customerId: number }>
  | Readonly<{ status: 'existed'; customerId?: number }>
  | Readonly<{ status: 'updated'; customerId: number }>
  | Readonly<{ status: 'rejected'; rejection: Rejection }>
  | Readonly<{ status: 'deferred'; reason: DeferReason; retryAfterMs?: number }>;

export type SyncStatus = SyncOutcome['status'];

/** Done = the message can be deleted: a customer exists, or it was rejected (and goes to the DLQ). */
export const isSettled = (outcome: SyncOutcome): boolean => outcome.status !== 'deferred';
