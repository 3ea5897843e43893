import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError, type Logger } from '../logger';
import { LEDGER_TABLE_KEY } from './dynamodb-delivery-ledger';

/** The ledger key read at a cold start: no delivery or counter is ever stored under it. */
export const WARM_UP_LEDGER_KEY = 'warm-up#cold-start';

export type ColdStartWarmUp = Readonly<{
  /** The sources secret's cached read: started now, the first request awaits the same read. */
  sourcesSecret: () => Promise<unknown>;
  dynamoDb: DynamoDBClient;
  ledgerTableName: string;
  sqs: SQSClient;
  signupQueueUrl: string;
  logger: Logger;
}>;

/**
 * Starts at a cold start what the ingest's first request waits on: the sources secret's read, and one cheap call on
 * each other AWS client it uses (a GetItem of a ledger key never written, the signup queue's ARN). Their TLS
 * handshakes and the SDK's first-call work then overlap the rest of the start and the secret's own wait, instead of
 * coming one after another inside the first request (docs/benchmarks.md, the cold answer). Best effort: a call that
 * fails is logged at debug and changes nothing, since each request makes its own calls. Resolves when all have
 * settled; never rejects.
 */
export async function warmUpAtColdStart(parts: ColdStartWarmUp): Promise<void> {
  const calls: Readonly<Record<string, () => Promise<unknown>>> = {
    sourcesSecret: parts.sourcesSecret,
    ledger: () => parts.dynamoDb.send(new GetItemCommand({ TableName: parts.ledgerTableName, Key: { [LEDGER_TABLE_KEY]: { S: WARM_UP_LEDGER_KEY } } })),
    queue: () => parts.sqs.send(new GetQueueAttributesCommand({ QueueUrl: parts.signupQueueUrl, AttributeNames: ['QueueArn'] })),
  };
  await Promise.all(
    // Promise.resolve().then: a call that throws at once is caught like one that rejects.
    Object.entries(calls).map(([call, start]) =>
      Promise.resolve()
        .then(start)
        .catch((error: unknown) => parts.logger.debug('cold start warm-up call failed; the request makes its own', { call, ...describeError(error) })),
    ),
  );
}
