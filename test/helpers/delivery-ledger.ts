import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../local/delivery-ledger/embedded-dynamodb';
import { createDeliveryLedger, dynamoDbPersistenceStore } from '../../shared/aws/dynamodb-delivery-ledger';
import type { DeliveryLedger } from '../../shared/ingest/delivery-ledger';
import { testLogger } from './log-capture';

/**
 * The deployed delivery ledger (Powertools Idempotency over DynamoDB, shared/aws/dynamodb-delivery-ledger.ts)
 * on dynalite in-process on loopback, as local mode runs it: for tests that send deliveries through the
 * ingest handler and need repeats and conflicts decided by DynamoDB's own conditional writes.
 */
export type TestLedger = Readonly<{ store: EmbeddedDynamoDb; ledger: () => DeliveryLedger; close: () => Promise<void> }>;

export async function startTestLedger(): Promise<TestLedger> {
  const store = await startEmbeddedDynamoDb();
  return {
    store,
    // A fresh persistence layer per ledger: Powertools configures each one once.
    ledger: () =>
      createDeliveryLedger({
        persistenceStore: dynamoDbPersistenceStore(store.client, store.tableName),
        retentionSeconds: 3600,
        inProgressSeconds: 10,
        logger: testLogger,
      }),
    close: () => store.close(),
  };
}
