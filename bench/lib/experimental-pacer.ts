import type { RateLimitState } from '../../shared/bigcommerce/rate-limit';
import { createQuotaPacer, type QuotaPacer } from '../../shared/sync/quota-pacer';

/**
 * NOT the deployed pacer: an opt-in experiment (`--pacer-tail-reserve k`) that quantifies a proposed change
 * to shared/sync/quota-pacer.ts. It behaves like the deployed pacer, except that once the last response
 * seen says `left <= k`, it waits for the reset instead of sending: with c concurrent Lambdas, the other
 * c - 1 may already have spent those units, and the request would be a 429.
 */
export function createTailReservePacer(reserve: number, now: () => number = Date.now): QuotaPacer {
  const inner = createQuotaPacer({ now });
  let last: { left: number; resetAt: number } | undefined;
  return {
    observe(state: RateLimitState | undefined) {
      inner.observe(state);
      if (state?.left !== undefined && state.resetMs !== undefined) last = { left: state.left, resetAt: now() + state.resetMs };
    },
    delayMs() {
      if (last && last.left <= reserve && last.resetAt > now()) return last.resetAt - now();
      return inner.delayMs();
    },
  };
}
