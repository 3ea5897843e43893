import { HttpProblemError } from '../http-input/errors';

/** Seconds a sender should wait before retrying a request the ingest could not finish in time. */
export const OUT_OF_TIME_RETRY_AFTER_SECONDS = 5;

/**
 * The function's time ran out before the request was answered (middy answers a few ms before Lambda
 * would end the invocation: functions/ingest/build-handler.ts). Whether the signup was queued is not
 * known, so the sender is asked to retry: 503 + Retry-After, never a 500 it would not retry. A retry is
 * safe: the delivery ledger answers it as a repeat, or, once the in-progress record of this attempt has
 * expired, enqueues it (the sync folds a second copy of a customer it already created).
 */
export class IngestOutOfTimeError extends HttpProblemError {
  constructor(timeoutMs: number | undefined) {
    super(
      {
        title: 'Service Unavailable',
        status: 503,
        detail: 'The signup could not be handled in time; retry later.',
      },
      { headers: { 'retry-after': String(OUT_OF_TIME_RETRY_AFTER_SECONDS) } },
    );
    this.name = 'IngestOutOfTimeError';
    this.timeoutMs = timeoutMs;
  }

  readonly timeoutMs: number | undefined;
}
