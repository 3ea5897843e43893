/**
 * Another app on the same store: BigCommerce's quota is per store and shared by every app, so a busy
 * neighbour makes our sync meet real 429s (with truthful X-Rate-Limit-* headers), not only injected ones.
 * It spends `share` of the quota at an even pace with GET /customers?limit=1 while it runs.
 */

export type QuotaHogStats = { requests: number; ok: number; rateLimited: number; other: number };

export type QuotaHog = Readonly<{
  stop(): Promise<void>;
  stats: QuotaHogStats;
}>;

export function startQuotaHog(options: Readonly<{ apiBase: string; token: () => string; quota: number; realWindowMs: number; share: number }>): QuotaHog {
  const stats: QuotaHogStats = { requests: 0, ok: 0, rateLimited: 0, other: 0 };
  const intervalMs = options.realWindowMs / (options.quota * options.share);
  const inFlight = new Set<Promise<void>>();
  const fire = () => {
    stats.requests += 1;
    const request = fetch(`${options.apiBase}/customers?limit=1`, {
      headers: { 'x-auth-token': options.token(), accept: 'application/json' },
      signal: AbortSignal.timeout(5_000),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status === 200) stats.ok += 1;
        else if (response.status === 429) stats.rateLimited += 1;
        else stats.other += 1;
      })
      .catch(() => {
        stats.other += 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  // setInterval cannot go below 1 ms; a faster pace fires several requests per tick.
  const perTick = Math.max(1, Math.ceil(1 / intervalMs));
  const timer = setInterval(
    () => {
      for (let i = 0; i < perTick; i += 1) fire();
    },
    Math.max(1, intervalMs * perTick),
  );
  return {
    stats,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}
