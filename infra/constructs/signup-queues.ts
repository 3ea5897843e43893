import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export type SignupQueuesProps = Readonly<{
  /** The sync function's timeout: the queue's visibility timeout is derived from it. */
  consumerTimeout: Duration;
  maxReceiveCount: number;
}>;

/**
 * AWS's guidance for Lambda consumers: visibility timeout at least 6 × the function timeout, so a
 * message is not redelivered while a throttled or retried invocation still holds it (services-sqs-configure).
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** The DLQ keeps messages for the SQS maximum: an operator may need a fortnight to fix and redrive. */
export const DEAD_LETTER_RETENTION = Duration.days(14);
/** Longer than any realistic BigCommerce outage, shorter than the DLQ's (the enqueue time is kept on a move). */
export const SIGNUP_RETENTION = Duration.days(4);

/** The signups queue and its dead-letter queue: encrypted, TLS-only (alarms live in OperationsMonitoring). */
export class SignupQueues extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SignupQueuesProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new Queue(this, 'SignupQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: SIGNUP_RETENTION,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
