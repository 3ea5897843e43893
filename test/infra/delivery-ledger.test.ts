import { Match, type Template } from 'aws-cdk-lib/assertions';
import { actionsOf, logicalIdOf, roleOfFunction, statementsOfRole, synthStack } from '../helpers/synth';

/** The ingest's delivery ledger (infra/constructs/delivery-ledger.ts): the table, its TTL and who may use it. */

let template: Template;
let tableId: string;
let ingestId: string;

beforeAll(() => {
  template = synthStack().template;
  tableId = logicalIdOf(template, 'AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
  ingestId = logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DELIVERY_LEDGER_TABLE: Match.anyValue() }) } });
});

describe('delivery ledger table', () => {
  it('is on-demand, keyed by the Powertools record id, expires records by TTL and is KMS-encrypted', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      // SSE on without a key of its own: the AWS managed KMS key aws/dynamodb (not the AWS owned default).
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('hands the ingest the table name, a 72-hour retention and an in-progress window equal to its timeout', () => {
    const ingest = template.toJSON().Resources[ingestId].Properties;
    expect(ingest.Environment.Variables).toMatchObject({
      DELIVERY_LEDGER_TABLE: { Ref: tableId },
      DELIVERY_RETENTION_SECONDS: String(72 * 3600),
      DELIVERY_IN_PROGRESS_SECONDS: String(ingest.Timeout),
    });
  });

  it('takes the retention from cdk.json (deliveryRetentionHours) and refuses an unusable one', () => {
    const { template: longer } = synthStack({ deliveryRetentionHours: 96 });
    longer.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DELIVERY_RETENTION_SECONDS: String(96 * 3600) }) } });
    expect(() => synthStack({ deliveryRetentionHours: 0 })).toThrow(/signupSync\.deliveryRetentionHours/);
  });

  it('lets the ingest get, put, update and delete items, and nothing more', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, ingestId)).filter((statement) =>
      JSON.stringify(statement.Resource).includes(tableId),
    );
    expect(actionsOf(statements).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(statements.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
  });

  it('is used by no one but the ingest', () => {
    const users = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes(tableId));
    expect(users).toHaveLength(1);
    expect(JSON.stringify(users[0])).toContain(roleOfFunction(template, ingestId));
  });

  it('is named by the output DeliveryLedgerTableName, which `signup-sync doctor` checks', () => {
    template.hasOutput('DeliveryLedgerTableName', { Value: { Ref: tableId } });
  });
});
