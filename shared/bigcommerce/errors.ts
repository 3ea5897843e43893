import type { RateLimitState } from './rate-limit';

/**
 * What went wrong talking to BigCommerce, classified for the sync engine:
 * - `rate-limited` (429): nothing was written; wait for the quota.
 * - `unauthorized` (401/403 after one token refresh): configuration, not data.
 * - `server` (5xx), `timeout`, `network`: the write MAY have happened; reconcile before re-sending.
 * - `invalid` (422/400), `too-large` (413): nothing (or, undocumented, part) was written; the data or the batch is at fault.
 * - `conflict` (409): the record already exists (the Subscribers API's answer for a known email).
 */
export type BigCommerceErrorKind = 'rate-limited' | 'unauthorized' | 'server' | 'timeout' | 'network' | 'invalid' | 'too-large' | 'conflict' | 'unexpected';

const RETRYABLE: ReadonlySet<BigCommerceErrorKind> = new Set(['rate-limited', 'server', 'timeout', 'network']);
/** Kinds after which BigCommerce may still have performed the write. */
const MAYBE_WRITTEN: ReadonlySet<BigCommerceErrorKind> = new Set(['server', 'timeout', 'network', 'invalid', 'unexpected']);

export type BigCommerceProblem = Readonly<{ title?: string; errors: Readonly<Record<string, string>> }>;

export class BigCommerceError extends Error {
  readonly kind: BigCommerceErrorKind;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly maybeWritten: boolean;
  readonly rateLimit: RateLimitState | undefined;
  readonly problem: BigCommerceProblem | undefined;

  constructor(
    kind: BigCommerceErrorKind,
    message: string,
    details: { status?: number; rateLimit?: RateLimitState; problem?: BigCommerceProblem } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BigCommerceError';
    this.kind = kind;
    this.status = details.status;
    this.retryable = RETRYABLE.has(kind);
    this.maybeWritten = MAYBE_WRITTEN.has(kind);
    this.rateLimit = details.rateLimit;
    this.problem = details.problem;
  }
}

export function kindForStatus(status: number): BigCommerceErrorKind {
  if (status === 429) return 'rate-limited';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 413) return 'too-large';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status >= 500) return 'server';
  return 'unexpected';
}
