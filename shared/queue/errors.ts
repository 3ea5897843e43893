/** Errors from the queue adapters. `retryable` tells the edge whether the sender should try again. */
export class QueueError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueError';
    this.retryable = retryable;
  }
}

/** SQS did not accept every message after our retries (throttling, an outage, a network fault). */
export class QueueUnavailableError extends QueueError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, true, options);
    this.name = 'QueueUnavailableError';
  }
}

/** SQS refused an entry as the sender's fault (e.g. too large): a bug on our side, not worth retrying. */
export class QueueRejectedError extends QueueError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, false, options);
    this.name = 'QueueRejectedError';
  }
}
