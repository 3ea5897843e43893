import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { checkDeliveryLedger } from '../../../ops/doctor/delivery-ledger-check';

/**
 * The ledger check's answers to what moto and dynalite do not produce (a table still CREATING, TTL
 * still ENABLING, access refused, a table keyed otherwise). test/integration/doctor.test.ts runs it
 * against moto's DynamoDB; test/local/doctor.test.ts against local mode's embedded one.
 */

const dynamoDb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const TABLE = 'SignupSync-DeliveryLedgerTable-ABC';

const healthyTable = {
  TableName: TABLE,
  TableStatus: 'ACTIVE' as const,
  BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' as const },
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
};

beforeEach(() => {
  dynamoDb.reset();
  dynamoDb.on(DescribeTableCommand).resolves({ Table: healthyTable });
  dynamoDb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiration' } });
});

afterAll(() => client.destroy());

describe('aws.delivery-ledger', () => {
  it('passes for an ACTIVE on-demand table keyed by id with TTL on expiration', async () => {
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({ status: 'pass' });
    expect(dynamoDb.commandCalls(DescribeTableCommand)[0]!.args[0].input).toEqual({ TableName: TABLE });
  });

  it('fails while the table is CREATING, telling to wait', async () => {
    dynamoDb.on(DescribeTableCommand).resolves({ Table: { ...healthyTable, TableStatus: 'CREATING' } });
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('is CREATING, not ACTIVE'),
      fix: expect.stringContaining('aws dynamodb wait table-exists'),
    });
  });

  it('treats a table without a billing summary as provisioned', async () => {
    const { BillingModeSummary: _omitted, ...provisioned } = healthyTable;
    dynamoDb.on(DescribeTableCommand).resolves({ Table: provisioned });
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({ status: 'fail', summary: expect.stringContaining('bills PROVISIONED') });
  });

  it('fails for a table keyed otherwise: the ingest could not write to it', async () => {
    dynamoDb.on(DescribeTableCommand).resolves({
      Table: {
        ...healthyTable,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      },
    });
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('keyed by pk (HASH), sk (RANGE), not by "id" alone'),
      fix: expect.stringContaining('cdk deploy'),
    });
  });

  it('fails while TTL is still ENABLING, telling to wait', async () => {
    dynamoDb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLING', AttributeName: 'expiration' } });
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('TTL is still being enabled'),
      fix: expect.stringContaining('Wait'),
    });
  });

  it('fails naming the missing permission when DescribeTable or DescribeTimeToLive is refused', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:DescribeTable'), { name: 'AccessDeniedException' });
    dynamoDb.on(DescribeTableCommand).rejects(denied);
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('cannot be described (AccessDeniedException'),
      fix: expect.stringContaining('dynamodb:DescribeTable'),
    });
    dynamoDb.on(DescribeTableCommand).resolves({ Table: healthyTable });
    dynamoDb.on(DescribeTimeToLiveCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    expect(await checkDeliveryLedger(client, TABLE)).toMatchObject({ status: 'fail', fix: expect.stringContaining('dynamodb:DescribeTimeToLive') });
  });

  it('on the embedded DynamoDB, does not ask for TTL and tells to restart local mode', async () => {
    dynamoDb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    expect(await checkDeliveryLedger(client, TABLE, { embedded: true })).toMatchObject({ status: 'pass', summary: expect.stringContaining('TTL not checked') });
    expect(dynamoDb.commandCalls(DescribeTimeToLiveCommand)).toHaveLength(0);
    dynamoDb.on(DescribeTableCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));
    expect(await checkDeliveryLedger(client, TABLE, { embedded: true })).toMatchObject({ status: 'fail', fix: expect.stringContaining('Restart local mode') });
  });
});
