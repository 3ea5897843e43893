import type { RateLimitState } from '../bigcommerce/rate-limit';

/**
 * Slows down before BigCommerce's quota runs out rather than after the 429. The quota is per store and
 * shared by every app and every concurrent sync, so once few requests are left we spread them over the
 * rest of the window. Kept at module scope so a warm Lambda remembers the last window it saw.
 *
 * `tailReserve`: each sync only sees the `Requests-Left` of its own last answer, so with c concurrent
 * syncs the other c - 1 may already have spent the units it believes are left. Keeping c - 1 units back
 * (waiting for the reset instead) avoids those 429s; benchmarks measured 0 instead of c - 1 per window.
 */
export type QuotaPacer = {
  observe(state: RateLimitState | undefined): void;
  /** How long to wait before the next request (0 = go). */
  delayMs(): number;
};

export type QuotaPacerOptions = Readonly<{ lowWaterFraction?: number; tailReserve?: number; now?: () => number }>;

export function createQuotaPacer({ lowWaterFraction = 0.1, tailReserve = 0, now = Date.now }: QuotaPacerOptions = {}): QuotaPacer {
  let window: { left: number; quota: number; resetAt: number } | undefined;
  return {
    observe(state) {
      if (state?.left === undefined || state.resetMs === undefined) return;
      window = { left: state.left, quota: state.quota ?? state.left, resetAt: now() + state.resetMs };
    },
    delayMs() {
      if (!window) return 0;
      const untilReset = window.resetAt - now();
      if (untilReset <= 0) return 0;
      if (window.left <= tailReserve) return untilReset;
      const lowWater = Math.max(1, Math.ceil(window.quota * lowWaterFraction));
      if (window.left > lowWater) return 0;
      return Math.floor(untilReset / (window.left - tailReserve + 1));
    },
  };
}
