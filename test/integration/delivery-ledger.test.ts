import { createHmac } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CANONICAL_SOURCE_ID } from '../../shared/ingest/ingest-sources';
import { aLambdaContext, anApiEvent } from '../helpers/events';
import { receiveBatch } from './support/event-source-mapping';
import type { Deployment } from './support/local-aws';
import { moveDeadLetters } from './support/redrive';
import { useTestbed } from './support/testbed';

jest.setTimeout(60_000);

/**
 * The idempotent receiver against moto's DynamoDB and SQS (docs/trust.md): the real ingest entry
 * (functions/ingest/handler.ts) with the stack's environment, its delivery ledger in the table the
 * template declares.
 */

const bed = useTestbed();

/** The stack-generated `api` entry of the sources secret, as the ingest reads it. */
function apiSecret(deployment: Deployment): string {
  const secret = Object.values(deployment.secrets).find((candidate) => candidate.arn === deployment.ingestEnv.SOURCES_SECRET);
  return (JSON.parse(secret!.value) as Record<string, string>)[CANONICAL_SOURCE_ID]!;
}

/** A Standard Webhooks delivery to POST /signups (a retry is the same id and body, signed anew). */
function signedDelivery(deployment: Deployment, id: string, signup: Record<string, unknown>) {
  const body = JSON.stringify(signup);
  const seconds = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(apiSecret(deployment).replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64');
  return anApiEvent(body, { headers: { 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': `v1,${signature}` } });
}

type Ingest = ReturnType<ReturnType<typeof bed>['loadIngest']>;
const send = async (handler: Ingest, event: ReturnType<typeof anApiEvent>) =>
  (await handler(event, aLambdaContext(10_000))) as APIGatewayProxyStructuredResultV2;
const idsOf = (response: APIGatewayProxyStructuredResultV2) => (JSON.parse(response.body ?? '{}') as { ids?: string[] }).ids;

describe('delivery ledger on DynamoDB (moto)', () => {
  it('enqueues a signed delivery sent twice concurrently and then twice more in sequence exactly once', async () => {
    // Arrange
    const deployment = await bed().deploy();
    const ingest = bed().loadIngest(deployment);
    const signup = { email: 'once@example.com', first_name: 'Only', last_name: 'Once' };

    // Act
    const concurrent = await Promise.all([
      send(ingest, signedDelivery(deployment, 'msg_it_once', signup)),
      send(ingest, signedDelivery(deployment, 'msg_it_once', signup)),
    ]);
    const sequential = [
      await send(ingest, signedDelivery(deployment, 'msg_it_once', signup)),
      await send(ingest, signedDelivery(deployment, 'msg_it_once', signup)),
    ];
    const messages = await bed().drain(deployment.signupQueue.url);

    // Assert: one message; a copy that met the first in progress waited for it (or, had it not finished,
    // was told to retry: 503); every 202 carries the first attempt's ids.
    expect(messages).toHaveLength(1);
    const accepted = [...concurrent, ...sequential].filter((response) => response.statusCode === 202);
    const retryLater = concurrent.filter((response) => response.statusCode === 503);
    expect(accepted.length + retryLater.length).toBe(4);
    expect(sequential.map((response) => response.statusCode)).toEqual([202, 202]);
    // A repeat says so (its log line counts it as repeated, not as accepted signups).
    expect(sequential.map((response) => response.headers?.['delivery-repeated'])).toEqual(['true', 'true']);
    for (const response of retryLater) expect(response.headers?.['retry-after']).toBe(deployment.ingestEnv.DELIVERY_IN_PROGRESS_SECONDS);
    const firstIds = idsOf(accepted[0]!);
    for (const response of accepted) expect(idsOf(response)).toEqual(firstIds);
    expect(JSON.parse(messages[0]!.Body ?? '{}')).toMatchObject({ id: firstIds![0], idempotency_key: 'api:msg_it_once' });
    // The ledger holds one completed record, keyed by a hash (no delivery id in the clear), expiring by TTL.
    const [table] = Object.values(deployment.tables).filter((candidate) => candidate.logicalId.startsWith('DeliveryLedger'));
    const { Items = [] } = await bed().dynamodb.send(new ScanCommand({ TableName: table!.name }));
    expect(Items).toHaveLength(1);
    expect(Items[0]?.status?.S).toBe('COMPLETED');
    expect(JSON.stringify(Items[0])).not.toContain('msg_it_once');
    const expiration = Number(Items[0]?.expiration?.N);
    expect(expiration - Date.now() / 1000).toBeGreaterThan(Number(deployment.ingestEnv.DELIVERY_RETENTION_SECONDS) - 60);
  });

  it('enqueues the sender retry when SQS failed after the delivery was recorded (nothing lost)', async () => {
    // Arrange: the first attempt's queue does not exist (SQS refuses the send after the ledger record was written).
    const deployment = await bed().deploy();
    const broken = bed().loadIngest({ ...deployment, ingestEnv: { ...deployment.ingestEnv, SIGNUP_QUEUE_URL: `${deployment.signupQueue.url}-missing` } });
    const ingest = bed().loadIngest(deployment);
    const signup = { email: 'retried@example.com', first_name: 'Retried', last_name: 'Later' };

    // Act
    const failed = await send(broken, signedDelivery(deployment, 'msg_it_retry', signup));
    const retry = await send(ingest, signedDelivery(deployment, 'msg_it_retry', signup));
    const messages = await bed().drain(deployment.signupQueue.url);

    // Assert
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    expect(retry.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.Body ?? '{}')).toMatchObject({ idempotency_key: 'api:msg_it_retry', signup: { email: 'retried@example.com' } });
  });

  it('does not treat an operator redrive as a repeat: the sync creates the redriven signup, while a replay of the delivery stays folded', async () => {
    // Arrange: the delivery is recorded and enqueued, then rejected into the DLQ.
    const { sandbox, sqs } = bed();
    bed().resetSandbox();
    sandbox.setOptions({ rejectEmails: /^refused/ });
    const deployment = await bed().deploy();
    const ingest = bed().loadIngest(deployment);
    const sync = bed().loadSync(deployment);
    const signup = { email: 'refused-then-fixed@example.com', first_name: 'Re', last_name: 'Driven' };
    expect((await send(ingest, signedDelivery(deployment, 'msg_it_redrive', signup))).statusCode).toBe(202);
    await bed().poll(deployment, sync);
    expect(await receiveBatch(sqs, deployment.deadLetterQueue.url, { visibilityTimeoutSeconds: 0 })).toHaveLength(1);
    sandbox.setOptions({ rejectEmails: undefined });

    // Act: the operator redrives (straight to SQS, never through the ingest), then the sender replays the delivery.
    const moved = await moveDeadLetters(sqs, { from: deployment.deadLetterQueue.url, to: deployment.signupQueue.url });
    const redriven = await bed().poll(deployment, sync);
    const replay = await send(ingest, signedDelivery(deployment, 'msg_it_redrive', signup));

    // Assert
    expect(moved).toBe(1);
    expect(redriven.received).toHaveLength(1);
    expect(sandbox.customers().map((customer) => customer.email)).toEqual(['refused-then-fixed@example.com']);
    expect(replay.statusCode).toBe(202);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('stores the payload hash with the key: a webhook-id reused for another signup is refused with 409, a true retry still folds', async () => {
    // Arrange
    const deployment = await bed().deploy();
    const ingest = bed().loadIngest(deployment);
    const ada = { email: 'ada.payload@example.com', first_name: 'Ada', last_name: 'Lovelace' };
    const grace = { email: 'grace.payload@example.com', first_name: 'Grace', last_name: 'Hopper' };

    // Act
    const first = await send(ingest, signedDelivery(deployment, 'msg_it_reused', ada));
    const reused = await send(ingest, signedDelivery(deployment, 'msg_it_reused', grace));
    const retry = await send(ingest, signedDelivery(deployment, 'msg_it_reused', ada));
    const messages = await bed().drain(deployment.signupQueue.url);

    // Assert
    expect([first.statusCode, reused.statusCode, retry.statusCode]).toEqual([202, 409, 202]);
    expect(reused.headers?.['content-type']).toBe('application/problem+json');
    expect(retry.headers?.['delivery-repeated']).toBe('true');
    expect(messages.map((message) => (JSON.parse(message.Body ?? '{}') as { signup: { email: string } }).signup.email)).toEqual(['ada.payload@example.com']);
    // One record, holding a hash of the payload beside the hashed key (Powertools' validation attribute).
    const [table] = Object.values(deployment.tables).filter((candidate) => candidate.logicalId.startsWith('DeliveryLedger'));
    const { Items = [] } = await bed().dynamodb.send(new ScanCommand({ TableName: table!.name }));
    const record = Items.find((item) => item.status?.S === 'COMPLETED' && item.validation?.S !== undefined);
    expect(record?.validation?.S).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(JSON.stringify(Items)).not.toContain('payload@example.com');
  });
});
