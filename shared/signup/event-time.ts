import type { SignupMessage } from './signup-schema';

/**
 * The one event-time rule (docs/sync-semantics.md, "Event time"): when a signup happened is its
 * `occurred_at`, else the time the ingest received it, and never later than that receipt. A sender's
 * clock, or a forged `occurred_at: 2099-…`, cannot make an event outrank what happened after it was
 * received. Every comparison of event times in the sync (customers and subscribers) goes through
 * `eventTimeOf`.
 */

/**
 * How far into the future an `occurred_at` may lie when it reaches the ingest: 5 minutes of clock
 * skew, the window the signed senders' timestamps get (Standard Webhooks, HubSpot, Kit, Webflow). A
 * sender's clock that is NTP-synced is milliseconds off; one that is minutes off is broken, and a date
 * hours or years ahead is not skew at all. POST /signups refuses more with 422 (the caller can fix its
 * data); a webhook delivery's event time is capped at its receipt instead (its sender cannot).
 */
export const FUTURE_EVENT_TOLERANCE_MS = 5 * 60 * 1000;

/** The message's event time in ms since the epoch: `occurred_at` capped at `received_at`, else `received_at`. */
export function eventTimeOf(message: Readonly<Pick<SignupMessage, 'received_at'> & { signup: Readonly<{ occurred_at?: string | undefined }> }>): number {
  const received = Date.parse(message.received_at);
  const occurred = message.signup.occurred_at === undefined ? Number.NaN : Date.parse(message.signup.occurred_at);
  return Number.isFinite(occurred) ? Math.min(occurred, received) : received;
}

/** Whether `occurredAt` (ISO 8601) lies more than the tolerance after `receivedAt`. */
export function isBeyondFutureTolerance(occurredAt: string | undefined, receivedAt: Date): boolean {
  if (occurredAt === undefined) return false;
  const occurred = Date.parse(occurredAt);
  return Number.isFinite(occurred) && occurred > receivedAt.getTime() + FUTURE_EVENT_TOLERANCE_MS;
}
