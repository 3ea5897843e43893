import type { RateLimitConfig } from './types';

/** The quota state as reported in BigCommerce's `X-Rate-Limit-*` headers, in real milliseconds. */
export interface QuotaState {
  windowMs: number;
  resetMs: number;
  quota: number;
  left: number;
}

const EPSILON_MS = 1e-6;

export type Admission = { allowed: true; state: QuotaState } | { allowed: false; state: QuotaState };

/**
 * BigCommerce's per-store quota: a fixed window that starts at the first request after the previous
 * window expired and refreshes whole (docs/sync-semantics.md, "Quota pacing"). Times are real ms:
 * the configured window is multiplied by `timeScale`, so headers stay truthful for an unmodified client.
 */
export class RateLimiter {
  private windowStart: number | null = null;
  private used = 0;

  constructor(
    private readonly config: RateLimitConfig,
    private readonly timeScale: number,
    // Monotonic clock: a wall-clock jump must not shorten or stretch a window.
    private readonly now: () => number = () => performance.now(),
  ) {}

  reset(): void {
    this.windowStart = null;
    this.used = 0;
  }

  /** Consumes one unit, or refuses (a refused request consumes nothing, like BigCommerce's 429). */
  admit(): Admission {
    const now = this.now();
    this.rollWindow(now);
    this.windowStart ??= now;
    if (this.used >= this.config.quota) return { allowed: false, state: this.stateAt(now) };
    this.used += 1;
    return { allowed: true, state: this.stateAt(now) };
  }

  /** Gives a unit back: for answers that must not count (an injected 429 or 401). */
  refund(): void {
    if (this.used > 0) this.used -= 1;
  }

  /** The state without consuming anything (for answers that do not count). */
  peek(): QuotaState {
    const now = this.now();
    this.rollWindow(now);
    return this.stateAt(now);
  }

  private get realWindowMs(): number {
    return this.config.windowMs * this.timeScale;
  }

  private rollWindow(now: number): void {
    if (this.windowStart !== null && now >= this.windowStart + this.realWindowMs) {
      this.windowStart = null;
      this.used = 0;
    }
  }

  private stateAt(now: number): QuotaState {
    const windowMs = Math.round(this.realWindowMs);
    // No window running (nothing since the last one expired): the next request starts a full one.
    // ceil: a client that waits exactly Reset-Ms must find the window refreshed, never one ms early.
    // The epsilon keeps float noise ((start + window) - start = window + 4e-12) from adding a whole ms.
    const remaining = this.windowStart === null ? this.realWindowMs : this.windowStart + this.realWindowMs - now;
    const resetMs = Math.max(1, Math.ceil(remaining - EPSILON_MS));
    return { windowMs, resetMs, quota: this.config.quota, left: Math.max(0, this.config.quota - this.used) };
  }
}
