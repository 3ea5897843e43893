/**
 * The queue numbers the stack deploys, as plain seconds, so local mode, the bench and the chaos run
 * use the same values without loading aws-cdk-lib (infra/constructs/signup-queues.ts turns them into
 * Durations).
 */

/**
 * AWS's guidance for Lambda consumers: visibility timeout at least 6 × the function timeout, so a
 * message is not redelivered while a throttled or retried invocation still holds it.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** The DLQ keeps messages for the SQS maximum (14 days): an operator may need a fortnight to fix and redrive. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;
/** Longer than any realistic BigCommerce outage, shorter than the DLQ's (the enqueue time is kept on a move). */
export const SIGNUP_RETENTION_SECONDS = 4 * 24 * 3600;
