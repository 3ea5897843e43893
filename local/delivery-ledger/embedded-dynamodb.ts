import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { CONSENT_TABLE_KEYS } from '../../shared/aws/dynamodb-consent-store';
import { LEDGER_TABLE_KEY } from '../../shared/aws/dynamodb-delivery-ledger';
import { closeServer } from '../net';

/**
 * The delivery ledger's store in local mode: dynalite 4 (DynamoDB's API over an in-memory LevelDB)
 * in-process on a loopback port, so the ingest runs the same DynamoDB adapter
 * (shared/aws/dynamodb-delivery-ledger.ts) as in Lambda. dynalite has no TTL sweeper; Powertools
 * treats an expired record as absent on its own, so nothing changes for the ledger.
 */
export type EmbeddedDynamoDb = Readonly<{
  endpoint: string;
  /** A client for this endpoint (local credentials; destroyed by `close`). */
  client: DynamoDBClient;
  tableName: string;
  /** The consent table (evidence, erasures, pending double opt-in), as infra/constructs/consent-evidence.ts declares it. */
  consentTableName: string;
  close(): Promise<void>;
}>;

export const EMBEDDED_LEDGER_TABLE = 'signup-sync-local-deliveries';
export const EMBEDDED_CONSENT_TABLE = 'signup-sync-local-consent';

/** Starts dynalite on `host`:`port` (0 = random) and creates the ledger and consent tables as the stack declares them. */
export async function startEmbeddedDynamoDb({ host = '127.0.0.1', port = 0, region = 'us-east-1' } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${bound}`;
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const close = async () => {
    client.destroy();
    await closeServer(server);
  };
  try {
    await client.send(
      new CreateTableCommand({
        TableName: EMBEDDED_LEDGER_TABLE,
        AttributeDefinitions: [{ AttributeName: LEDGER_TABLE_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: LEDGER_TABLE_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(
      new CreateTableCommand({
        TableName: EMBEDDED_CONSENT_TABLE,
        AttributeDefinitions: [
          { AttributeName: CONSENT_TABLE_KEYS.partition, AttributeType: 'S' },
          { AttributeName: CONSENT_TABLE_KEYS.sort, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: CONSENT_TABLE_KEYS.partition, KeyType: 'HASH' },
          { AttributeName: CONSENT_TABLE_KEYS.sort, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, client, tableName: EMBEDDED_LEDGER_TABLE, consentTableName: EMBEDDED_CONSENT_TABLE, close };
}
