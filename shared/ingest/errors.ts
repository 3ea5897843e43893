import { HttpProblemError } from '../http-input/errors';
import type { LogFields } from '../logger';

/** Errors of the ingest use case's own ports. `retryable` tells the edge whether the sender should try again. */

/**
 * The delivery is being enqueued by another attempt right now (or one crashed less than the in-progress
 * window ago). Answered 503 + Retry-After: when the sender retries, the delivery is either completed
 * (answered as a repeat) or free again (enqueued).
 */
export class DeliveryInProgressError extends Error {
  readonly retryable = true;
  constructor(
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super('The same delivery is being processed by another request; retry later', options);
    this.name = 'DeliveryInProgressError';
  }
}

/**
 * The delivery's key is already recorded for another payload (docs/trust.md): a client-chosen id reused
 * for a different signup, a cached form page's `submission_id` posted by a second visitor. Never a repeat.
 * POST /signups answers 409; a source delivery is recorded again under a key that includes its payload.
 */
export class DeliveryConflictError extends Error {
  readonly retryable = false;
  constructor(options?: ErrorOptions) {
    super('The delivery key is already recorded for a different payload', options);
    this.name = 'DeliveryConflictError';
  }
}

/**
 * A client posted to a public form more often than the source's `clientLimit` allows
 * (./client-limit.ts): 429 with Retry-After (the seconds until its window ends). A native form post is
 * redirected to the form's error page instead, keeping the header.
 */
export class ClientLimitedError extends HttpProblemError {
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: Readonly<{ max: number; windowSeconds: number }>,
  ) {
    super(
      { title: 'Too Many Requests', status: 429, detail: 'Too many signups from your network in a short time; please try again later.' },
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    );
    this.name = 'ClientLimitedError';
  }

  override logFields(): LogFields {
    return { detail: this.message, clientLimit: `${this.limit.max} per ${this.limit.windowSeconds} s`, retryAfterSeconds: this.retryAfterSeconds };
  }
}
