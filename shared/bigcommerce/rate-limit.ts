/** BigCommerce's per-store quota as reported on every response in X-Rate-Limit-* headers (docs/sync-semantics.md). */
export type RateLimitState = Readonly<{
  windowMs?: number;
  resetMs?: number;
  quota?: number;
  left?: number;
  /** From X-Retry-After (seconds) on a 429, in ms. */
  retryAfterMs?: number;
}>;

const numberHeader = (headers: Headers, name: string): number | undefined => {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
};

export function parseRateLimit(headers: Headers): RateLimitState | undefined {
  const retryAfterSeconds = numberHeader(headers, 'x-retry-after');
  const state: RateLimitState = {
    windowMs: numberHeader(headers, 'x-rate-limit-time-window-ms'),
    resetMs: numberHeader(headers, 'x-rate-limit-time-reset-ms'),
    quota: numberHeader(headers, 'x-rate-limit-requests-quota'),
    left: numberHeader(headers, 'x-rate-limit-requests-left'),
    retryAfterMs: retryAfterSeconds === undefined ? undefined : Math.ceil(retryAfterSeconds * 1000),
  };
  return Object.values(state).some((value) => value !== undefined) ? state : undefined;
}

/** How long a 429 asks us to wait: the longer of the two headers (BigCommerce's guidance). */
export function rateLimitWaitMs(state: RateLimitState | undefined): number | undefined {
  const candidates = [state?.resetMs, state?.retryAfterMs].filter((value): value is number => value !== undefined);
  return candidates.length > 0 ? Math.max(...candidates) : undefined;
}
