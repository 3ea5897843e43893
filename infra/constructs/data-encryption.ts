import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { EncryptionMode } from '../../shared/deployment/stack-config';

export type DataEncryptionProps = Readonly<{ mode: EncryptionMode }>;

/**
 * The stack's encryption keys (docs/security.md, "Encryption"). `aws-managed` (default): no key is
 * created; the queues use SSE-SQS, the ledger, secrets and log groups their services' default encryption,
 * the alarm topic none (it carries alarm names and states only). `customer-managed`: ONE key, rotated
 * yearly, for everything that holds data: the other constructs take `key` and use it where they can.
 * Its policy is the account's (IAM decides who may use it) plus CloudWatch Logs, which encrypts the
 * stack's log groups in this account and region with it; the alarm topic's statement is added by
 * OperationsMonitoring, which knows its alarms.
 */
export class DataEncryption extends Construct {
  /** Undefined under `aws-managed`. */
  readonly key: IKey | undefined;

  constructor(scope: Construct, id: string, props: DataEncryptionProps) {
    super(scope, id);
    if (props.mode !== 'customer-managed') return;
    const stack = Stack.of(this);
    const key = new Key(this, 'Key', {
      description: 'signup-sync: queues, delivery ledger, secrets, logs, function environments and the alarm topic',
      enableKeyRotation: true,
    });
    // CloudWatch Logs encrypts with the key itself; the condition limits it to this account's log groups in this region.
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccountsLogGroups',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.key = key;
  }
}
