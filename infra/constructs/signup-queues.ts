import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEAD_LETTER_RETENTION_SECONDS, SIGNUP_RETENTION_SECONDS, VISIBILITY_TIMEOUT_FACTOR } from '../../shared/queue/queue-settings';

export type SignupQueuesProps = Readonly<{
  /** The sync function's timeout: the queue's visibility timeout is derived from it. */
  consumerTimeout: Duration;
  maxReceiveCount: number;
}>;

/** The signups queue and its dead-letter queue: encrypted, TLS-only (alarms live in OperationsMonitoring). */
export class SignupQueues extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SignupQueuesProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DEAD_LETTER_RETENTION_SECONDS),
    });
    this.queue = new Queue(this, 'SignupQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(SIGNUP_RETENTION_SECONDS),
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
