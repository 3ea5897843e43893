import { ConditionalCheckFailedException, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { ClientLimiter } from '../ingest/client-limit';
import { LEDGER_TABLE_KEY, LEDGER_TTL_ATTRIBUTE } from './dynamodb-delivery-ledger';

/**
 * The per-client limit's counters (shared/ingest/client-limit.ts) in the delivery ledger's table: one
 * UpdateItem per post, `ADD hits 1` on the client's item for the window, conditional on `hits < max`, with
 * the table's TTL attribute set on the first post. One write request unit per post (over the limit the
 * failed conditional write costs one as well), no read, no second call; the ingest's role already may
 * UpdateItem on this table (infra/constructs/delivery-ledger.ts).
 */
export function createDynamoDbClientLimiter(client: DynamoDBClient, tableName: string): ClientLimiter {
  return {
    async take({ key, max, expiresAt }) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { [LEDGER_TABLE_KEY]: { S: key } },
            UpdateExpression: 'SET #expiration = if_not_exists(#expiration, :expiresAt) ADD #hits :one',
            ConditionExpression: 'attribute_not_exists(#hits) OR #hits < :max',
            ExpressionAttributeNames: { '#hits': 'hits', '#expiration': LEDGER_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(max) }, ':expiresAt': { N: String(expiresAt) } },
          }),
        );
        return true;
      } catch (error) {
        // Over the limit: the count stays at max, so a flood costs one failed write per post and no more.
        if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
  };
}
