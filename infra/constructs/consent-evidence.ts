import { Arn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CONSENT_TABLE_KEYS, CONSENT_TTL_ATTRIBUTE } from '../../shared/aws/dynamodb-consent-store';
import { type ConfirmationMailSettings, parseSender, senderDomain } from '../../shared/consent/double-opt-in';

/**
 * Consent evidence, erasures and pending double opt-in requests (docs/privacy.md): one DynamoDB table
 * (shared/aws/dynamodb-consent-store.ts has its layout). On-demand (a few writes per consenting signup,
 * idle most of the time), KMS-encrypted, point-in-time recovery on (evidence is what a merchant must be
 * able to produce, so an accidental delete must be recoverable; 35 days of restore points, which
 * docs/privacy.md names as a place an erased person's data still lives that long), retention by TTL.
 * Retained when the stack is deleted: proof of consent must not vanish with a `cdk destroy`.
 *
 * Only the functions may use it: the sync reads and writes (no query, no scan: it reads by key), the
 * ingest reads pending requests (GetItem) for the confirm route, and only when a source has double
 * opt-in. The sync's SES permission is scoped to the configured senders' identities.
 */
export class ConsentEvidence extends Construct {
  readonly table: Table;

  private readonly encryptionKey: IKey | undefined;

  /** `encryptionKey`: the stack's customer-managed key (`encryption: customer-managed`); else DynamoDB's AWS-managed key. */
  constructor(scope: Construct, id: string, props: Readonly<{ encryptionKey?: IKey }> = {}) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: CONSENT_TABLE_KEYS.partition, type: AttributeType.STRING },
      sortKey: { name: CONSENT_TABLE_KEYS.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: CONSENT_TTL_ATTRIBUTE,
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** What the sync does: one BatchGetItem per batch, BatchWriteItem for evidence, Put/Update of pending requests. */
  grantSyncUse(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // Table.grant adds no key permission; item reads and writes on a customer-managed key need these.
    this.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }

  /** What the confirm route does: read one pending request. */
  grantPendingRead(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem');
    this.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey');
  }

  /**
   * ses:SendEmail from the double opt-in senders only: on their identities (the address itself, and its
   * domain, whichever is the verified identity), with `ses:FromAddress` pinned to the addresses, and on
   * their configuration sets when they name one.
   */
  grantConfirmationMail(grantee: IGrantable, settings: readonly ConfirmationMailSettings[]): void {
    const senders = settings.flatMap((setting) => {
      const sender = parseSender(setting.from);
      return sender ? [sender] : [];
    });
    if (senders.length === 0) return;
    const stack = Stack.of(this);
    const identityArn = (identity: string) => Arn.format({ service: 'ses', resource: 'identity', resourceName: identity }, stack);
    const identities = [...new Set(senders.flatMap((sender) => [sender.address, senderDomain(sender)]))].sort();
    const configurationSets = [...new Set(settings.flatMap((setting) => (setting.configurationSet ? [setting.configurationSet] : [])))].sort();
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        resources: [
          ...identities.map(identityArn),
          ...configurationSets.map((name) => Arn.format({ service: 'ses', resource: 'configuration-set', resourceName: name }, stack)),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': [...new Set(senders.map((sender) => sender.address))].sort() } },
      }),
    );
  }
}
