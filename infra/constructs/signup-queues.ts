import { Duration } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEAD_LETTER_RETENTION_SECONDS, SIGNUP_RETENTION_SECONDS, VISIBILITY_TIMEOUT_FACTOR } from '../../shared/queue/queue-settings';

export type SignupQueuesProps = Readonly<{
  /** The sync function's timeout: the queue's visibility timeout is derived from it. */
  consumerTimeout: Duration;
  maxReceiveCount: number;
  /** The stack's customer-managed key (`encryption: customer-managed`); else SSE-SQS. */
  encryptionKey?: IKey;
}>;

/**
 * The signups queue and its dead-letter queue: encrypted, TLS-only, and the DLQ written only by the
 * stack's functions (alarms live in OperationsMonitoring).
 */
export class SignupQueues extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SignupQueuesProps) {
    super(scope, id);
    const encryption = props.encryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED };
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DEAD_LETTER_RETENTION_SECONDS),
    });
    this.queue = new Queue(this, 'SignupQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(SIGNUP_RETENTION_SECONDS),
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /**
   * Only these roles (the stack's functions: the ingest's unmappable letters, the sync's rejected signups)
   * may send to the DLQ, whatever IAM grants elsewhere in the account (docs/security.md, "Forged or
   * re-dated dead letters"). Two Deny statements, on sqs:SendMessage only (SendMessageBatch is authorized
   * as it), so the account's administrators keep every other action, this policy included:
   * - a principal of the account or elsewhere that is not one of the roles (aws:PrincipalArn is the
   *   role's ARN for its sessions);
   * - an AWS service acting for anything but the signups queue (aws:SourceArn). SQS's own redrive moves
   *   messages on maxReceiveCount itself, governed by the DLQ's redrive allow policy rather than this
   *   policy, and even if it were evaluated here it acts for the signups queue.
   * `dlq redrive` sends to the signups queue, never here: it writes nothing back to the DLQ.
   */
  restrictDeadLetterSenders(senders: readonly IRole[]): void {
    this.deadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheStacksFunctionsSendDeadLetters',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': senders.map((role) => role.roleArn) },
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.deadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheSignupsQueueForServices',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnNotEquals: { 'aws:SourceArn': this.queue.queueArn },
          Bool: { 'aws:PrincipalIsAWSService': 'true' },
        },
      }),
    );
  }
}
