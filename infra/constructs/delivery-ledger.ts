import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LEDGER_TABLE_KEY, LEDGER_TTL_ATTRIBUTE } from '../../shared/aws/dynamodb-delivery-ledger';

/**
 * The ingest's delivery ledger (docs/trust.md): one DynamoDB item per accepted delivery, so a sender's
 * retry or a replay within the retention is answered without being enqueued again
 * (shared/aws/dynamodb-delivery-ledger.ts). On-demand (a few writes per signup, idle most of the time),
 * KMS-encrypted (AWS-managed, or the stack's own key), expired by TTL. Only the ingest function gets a grant, and only the four item calls
 * Powertools Idempotency makes.
 */
export class DeliveryLedger extends Construct {
  readonly table: Table;

  private readonly encryptionKey: IKey | undefined;

  /** `encryptionKey`: the stack's customer-managed key (`encryption: customer-managed`); else DynamoDB's AWS-managed key. */
  constructor(scope: Construct, id: string, props: Readonly<{ encryptionKey?: IKey }> = {}) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: LEDGER_TABLE_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      // Records live 72 h by default; a new stack starting with an empty ledger loses nothing.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** GetItem, PutItem (conditional), UpdateItem and DeleteItem on this table: what the ledger does. */
  grantLedgerUse(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    // Table.grant adds no key permission; item reads and writes on a customer-managed key need these.
    this.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }
}
