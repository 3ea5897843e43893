import type { DeferReason } from './outcome';

/** Thrown inside the engine to stop work: every message not yet settled is deferred for this reason. */
export class DeferBatchError extends Error {
  readonly reason: DeferReason;
  readonly retryAfterMs: number | undefined;
  readonly retryable = true;
  constructor(reason: DeferReason, message: string, retryAfterMs?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeferBatchError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}
