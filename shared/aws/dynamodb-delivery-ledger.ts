import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { Delivery, DeliveryLedger, DeliveryReceipt } from '../ingest/delivery-ledger';
import { DeliveryConflictError, DeliveryInProgressError } from '../ingest/errors';
import { describeError, type Logger } from '../logger';

/**
 * The delivery ledger on Powertools Idempotency (shared/ingest/delivery-ledger.ts has the contract).
 * Powertools does exactly the receiver's lifecycle: a conditional put of an INPROGRESS record (with an
 * in-progress expiry) before the function runs, the function's result saved as COMPLETED after it
 * resolved, the record deleted when it throws, and a completed record's result returned without running
 * the function again. The table (infra/constructs/delivery-ledger.ts) has partition key `id` and TTL on
 * `expiration` (LEDGER_TABLE_KEY, LEDGER_TTL_ATTRIBUTE below). Keys are stored hashed (SHA-256 of the
 * key), so the table never holds a submission id or a body hash in the clear.
 *
 * Payload validation is Powertools' own (`payloadValidationJmesPath`): the delivery's payload hash is
 * stored in the same conditional put as the key (the `validation` attribute, no extra write), and a
 * later delivery with the same key and another payload raises IdempotencyValidationError before
 * anything runs, whether the record is completed or in progress: DeliveryConflictError to the caller.
 * (Records written with MD5 keys before payload validation existed are not found under SHA-256 keys,
 * so none of them is taken for a conflict.)
 *
 * The in-progress window is fixed (the ingest function's timeout) rather than read from each Lambda
 * context, so one ledger serves Lambda, local mode and tests alike: after it, the attempt that wrote the
 * record is certainly over, and a retry may take the delivery over.
 *
 * When DynamoDB itself fails, the delivery is enqueued without the record (logged as a warning): a
 * possible duplicate, which the sync tolerates (an existing email is not created twice), beats a lost
 * signup (ActiveCampaign never retries).
 */

export type DeliveryLedgerOptions = Readonly<{
  persistenceStore: BasePersistenceLayer;
  /** How long a completed delivery is remembered (the table's TTL). */
  retentionSeconds: number;
  /** How long an in-progress record blocks a retry (the ingest function's timeout). */
  inProgressSeconds: number;
  logger: Logger;
}>;

/** Distinguishes our own key from anything Powertools would otherwise derive from the function's name. */
const KEY_PREFIX = 'signup-delivery';

export function createDeliveryLedger({ persistenceStore, retentionSeconds, inProgressSeconds, logger }: DeliveryLedgerOptions): DeliveryLedger {
  // A stand-in Lambda context: Powertools sets the in-progress expiry to now + its remaining time.
  const window = { getRemainingTimeInMillis: () => inProgressSeconds * 1000 } as Context;
  return {
    async once<T extends DeliveryReceipt>({ key, payloadHash }: Delivery, deliver: () => Promise<T>) {
      let repeat = false;
      let attempt: { done: true; receipt: T } | { done: false; error: unknown } | undefined;
      const config = new IdempotencyConfig({
        eventKeyJmesPath: 'key',
        payloadValidationJmesPath: 'payload',
        hashFunction: 'sha256',
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: retentionSeconds,
        lambdaContext: window,
        // Called only when a completed record answers instead of the function.
        responseHook: (response) => {
          repeat = true;
          return response;
        },
      });
      const deliverOnce = makeIdempotent(
        async (_input: { key: string; payload: string }): Promise<T> => {
          try {
            const receipt = await deliver();
            attempt = { done: true, receipt };
            return receipt;
          } catch (error) {
            attempt = { done: false, error };
            throw error;
          }
        },
        { persistenceStore, config, keyPrefix: KEY_PREFIX },
      );
      try {
        const receipt = (await deliverOnce({ key, payload: payloadHash })) as T;
        return { repeat, receipt };
      } catch (error) {
        if (error instanceof IdempotencyValidationError) throw new DeliveryConflictError({ cause: error });
        if (error instanceof IdempotencyAlreadyInProgressError) throw new DeliveryInProgressError(inProgressSeconds, { cause: error });
        if (attempt === undefined) {
          // The record could not be written (DynamoDB unavailable): enqueue anyway rather than lose it.
          logger.warn('delivery ledger unavailable: enqueued without a record', describeError(error));
          return { repeat: false, receipt: await deliver() };
        }
        if (attempt.done) {
          // SQS has the messages; only the completion was not saved. The record expires as in progress.
          logger.warn('delivery ledger: enqueued, completion not recorded', describeError(error));
          return { repeat: false, receipt: attempt.receipt };
        }
        // `deliver` failed (and maybe the record's removal too): the sender's retry decides.
        throw attempt.error;
      }
    },
  };
}

/** The ledger table's partition key and TTL attribute (infra/constructs/delivery-ledger.ts declares them). */
export const LEDGER_TABLE_KEY = 'id';
export const LEDGER_TTL_ATTRIBUTE = 'expiration';

/** The production store: the ledger table through one DynamoDB client (created once per container). */
export function dynamoDbPersistenceStore(client: DynamoDBClient, tableName: string): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client, keyAttr: LEDGER_TABLE_KEY, expiryAttr: LEDGER_TTL_ATTRIBUTE });
}
