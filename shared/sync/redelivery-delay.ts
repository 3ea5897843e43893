import type { DeferReason } from './outcome';

/**
 * Every redelivery spends one of the queue's maxReceiveCount, and a deferred message's data is fine:
 * the cause is BigCommerce (down, or its quota spent by other apps) or our configuration (a revoked
 * token, a broken mapping). Backing off by receive count (1 min, 5 min, 30 min, 2 h, then SQS's 12 h
 * maximum) lets a backlog outlive about 15 hours of such trouble, instead of 5 visibility timeouts,
 * before it reaches the DLQ (from where `dlq redrive` brings it back).
 */
export const DEFERRAL_BACKOFF_SECONDS = [60, 300, 1_800, 7_200, 43_200] as const;

/** SQS's ceiling for ChangeMessageVisibility. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** The schedule's entry for a delivery; past its end, its last entry. */
const backoffSeconds = (schedule: readonly number[], delivery: number): number => schedule[Math.min(Math.max(1, delivery), schedule.length) - 1]!;

/**
 * How long a deferred message stays invisible before its next delivery, in whole seconds; `undefined`
 * leaves it to the queue's visibility timeout.
 * - a token, configuration or outage deferral backs off by receive count from the first delivery;
 * - a 429 waits for the reset BigCommerce announced, and from the second delivery on at least the
 *   backoff of the delivery before (a quota that other apps keep spending is an outage for us);
 * - running out of time is not a failure: the next delivery may go faster.
 */
export function redeliveryDelaySeconds(
  reason: DeferReason,
  receiveCount: number | undefined,
  retryAfterMs?: number,
  schedule: readonly number[] = DEFERRAL_BACKOFF_SECONDS,
): number | undefined {
  const delivery = Math.max(1, receiveCount ?? 1);
  switch (reason) {
    case 'unauthorized':
    case 'configuration':
    case 'bigcommerce-unavailable':
    case 'consent-store-unavailable':
    case 'mail-unavailable':
      return backoffSeconds(schedule, delivery);
    case 'rate-limited': {
      const announced = retryAfterMs === undefined ? 0 : Math.ceil(retryAfterMs / 1000);
      const floor = delivery >= 2 ? backoffSeconds(schedule, delivery - 1) : 0;
      const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(announced, floor));
      return seconds > 0 ? seconds : undefined;
    }
    case 'out-of-time':
      return undefined;
  }
}
