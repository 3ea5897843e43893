import type { RateLimitState } from '../bigcommerce/rate-limit';

/**
 * Slows down before BigCommerce's quota runs out rather than after the 429. The quota is per store and
 * shared by every app and every concurrent sync, so once few requests are left we spread them over the
 * rest of the window. Kept at module scope so a warm Lambda remembers the last window it saw.
 */
export type QuotaPacer = {
  observe(state: RateLimitState | undefined): void;
  /** How long to wait before the next request (0 = go). */
  delayMs(): number;
};

export function createQuotaPacer({ lowWaterFraction = 0.1, now = Date.now }: { lowWaterFraction?: number; now?: () => number } = {}): QuotaPacer {
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
      if (window.left <= 0) return untilReset;
      const lowWater = Math.max(1, Math.ceil(window.quota * lowWaterFraction));
      if (window.left > lowWater) return 0;
      return Math.floor(untilReset / (window.left + 1));
    },
  };
}
