import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE_KEY, LEDGER_TTL_ATTRIBUTE } from '../../shared/aws/dynamodb-delivery-ledger';
import type { CheckResult } from './types';

/**
 * `aws.delivery-ledger`: the ingest's delivery ledger (docs/trust.md; infra/constructs/delivery-ledger.ts)
 * exists, is ACTIVE, on-demand, keyed as Powertools writes it, and expires its records by TTL. A table
 * that is missing or keyed otherwise makes every delivery "enqueued without a record" (repeats pass);
 * provisioned capacity throttles it under a campaign; without TTL it grows forever.
 */

const ID = 'aws.delivery-ledger';

/** The stack output that names the table (infra/signup-sync-stack.ts). */
export const LEDGER_OUTPUT = 'DeliveryLedgerTableName';

export type LedgerCheckOptions = Readonly<{
  /**
   * Local mode's embedded DynamoDB (dynalite, local/delivery-ledger/embedded-dynamodb.ts) implements no
   * TTL: it always reports DISABLED, and Powertools treats an expired record as absent by itself.
   */
  embedded?: boolean;
}>;

type Problem = Readonly<{ summary: string; fix: string }>;

const reason = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');

function tableProblems(table: TableDescription, name: string, embedded: boolean): Problem[] {
  const problems: Problem[] = [];
  const redeploy = embedded ? 'Restart local mode (npm start): it creates the table at start' : 'Redeploy the stack (cdk deploy)';
  if (table.TableStatus !== 'ACTIVE') {
    problems.push({
      summary: `is ${table.TableStatus ?? 'in an unknown state'}, not ACTIVE`,
      fix:
        table.TableStatus === 'CREATING' || table.TableStatus === 'UPDATING'
          ? 'Wait for it to become ACTIVE (aws dynamodb wait table-exists), then run the doctor again'
          : `${redeploy}; aws dynamodb describe-table --table-name ${name} says why`,
    });
  }
  // DescribeTable leaves BillingModeSummary out for a table that was always provisioned.
  const billing = table.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
  if (billing !== 'PAY_PER_REQUEST') {
    problems.push({
      summary: `bills ${billing}, not on-demand: a burst of signups would be throttled and enqueued without a record`,
      fix: embedded ? redeploy : `aws dynamodb update-table --table-name ${name} --billing-mode PAY_PER_REQUEST (or redeploy the stack)`,
    });
  }
  const hashKey = table.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
  if (hashKey !== LEDGER_TABLE_KEY || (table.KeySchema?.length ?? 0) !== 1) {
    problems.push({
      summary: `is keyed by ${table.KeySchema?.map((key) => `${key.AttributeName} (${key.KeyType})`).join(', ') || 'nothing'}, not by "${LEDGER_TABLE_KEY}" alone: the ingest cannot record deliveries in it`,
      fix: `${redeploy}; a table's key cannot be changed, so the stack must create it`,
    });
  }
  return problems;
}

/**
 * DescribeTable then DescribeTimeToLive on `tableName`. Skipped when the stack has no ledger output
 * (deployed before the ledger existed); fails with a fix line for each problem found.
 */
export async function checkDeliveryLedger(
  dynamoDb: DynamoDBClient,
  tableName: string | undefined,
  { embedded = false }: LedgerCheckOptions = {},
): Promise<CheckResult> {
  if (!tableName)
    return {
      id: ID,
      status: 'skipped',
      summary: `This stack has no delivery ledger (no ${LEDGER_OUTPUT} output): deployed before the ledger existed; \`cdk deploy\` adds it`,
    };
  let table: TableDescription | undefined;
  try {
    table = (await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    const missing = error instanceof Error && error.name === 'ResourceNotFoundException';
    return {
      id: ID,
      status: 'fail',
      summary: missing
        ? `The delivery ledger table ${tableName} does not exist: every delivery is enqueued without a record, so repeats are not folded`
        : `The delivery ledger table ${tableName} cannot be described (${reason(error)})`,
      fix: missing
        ? embedded
          ? 'Restart local mode (npm start): it creates the table at start'
          : `Redeploy the stack (cdk deploy), or check the ${LEDGER_OUTPUT} output and the region`
        : embedded
          ? 'Restart local mode (npm start)'
          : 'Check your AWS credentials and region, and that your identity may call dynamodb:DescribeTable and dynamodb:DescribeTimeToLive',
    };
  }
  if (!table)
    return {
      id: ID,
      status: 'fail',
      summary: `DescribeTable answered without the table ${tableName}`,
      fix: 'Run the doctor again; if it persists, check the region',
    };

  const problems = tableProblems(table, tableName, embedded);
  let ttlNote = `TTL on "${LEDGER_TTL_ATTRIBUTE}"`;
  if (embedded) {
    ttlNote = 'TTL not checked: the embedded DynamoDB has none, and expired records count as absent anyway';
  } else {
    try {
      const ttl = (await dynamoDb.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
      const enable = `aws dynamodb update-time-to-live --table-name ${tableName} --time-to-live-specification Enabled=true,AttributeName=${LEDGER_TTL_ATTRIBUTE}`;
      if (ttl?.TimeToLiveStatus === 'ENABLING') {
        problems.push({ summary: 'TTL is still being enabled', fix: 'Wait up to an hour for DynamoDB to finish enabling TTL, then run the doctor again' });
      } else if (ttl?.TimeToLiveStatus !== 'ENABLED') {
        problems.push({ summary: `TTL is ${ttl?.TimeToLiveStatus ?? 'not reported'}: records are never deleted and the table grows forever`, fix: enable });
      } else if (ttl.AttributeName !== LEDGER_TTL_ATTRIBUTE) {
        problems.push({
          summary: `TTL is on "${ttl.AttributeName}", but records expire by "${LEDGER_TTL_ATTRIBUTE}": none is ever deleted`,
          // DynamoDB changes a TTL attribute only by disabling it first.
          fix: `aws dynamodb update-time-to-live --table-name ${tableName} --time-to-live-specification Enabled=false,AttributeName=${ttl.AttributeName}, then ${enable}`,
        });
      }
    } catch (error) {
      problems.push({
        summary: `its TTL cannot be read (${reason(error)})`,
        fix: 'Check that your AWS identity may call dynamodb:DescribeTimeToLive',
      });
    }
  }
  if (problems.length > 0)
    return {
      id: ID,
      status: 'fail',
      summary: `The delivery ledger table ${tableName}: ${problems.map((problem) => problem.summary).join('; ')}`,
      fix: problems.map((problem) => problem.fix).join('; '),
    };
  return { id: ID, status: 'pass', summary: `The delivery ledger table ${tableName} is ACTIVE, on-demand, keyed by "${LEDGER_TABLE_KEY}"; ${ttlNote}` };
}
