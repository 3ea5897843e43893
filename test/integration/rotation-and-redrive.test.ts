import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type Message, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { aSignup } from '../helpers/events';
import { receiveBatch } from './support/event-source-mapping';
import { moveDeadLetters } from './support/redrive';
import { useTestbed } from './support/testbed';

jest.setTimeout(60_000);

const bed = useTestbed();

beforeEach(() => bed().resetSandbox());

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function rotateToken(secretArn: string, token: string): Promise<void> {
  // A new secret version becomes AWSCURRENT, and the store accepts only the new token from now on.
  await bed().secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify({ access_token: token }) }));
  bed().sandbox.setTokens([token]);
}

describe('BigCommerce token in Secrets Manager', () => {
  it('a warm sync uses a rotated token once TOKEN_CACHE_TTL_SECONDS has passed, without a refused request', async () => {
    // Arrange: one warm container, a 1 s token cache, a first batch synced with token v1.
    const { sandbox } = bed();
    sandbox.setTokens(['token-v1']);
    const deployment = await bed().deploy({ token: 'token-v1' });
    const sync = bed().loadSync(deployment, { TOKEN_CACHE_TTL_SECONDS: '1' });
    await bed().ingest(deployment, [aSignup()]);
    const before = await bed().poll(deployment, sync);

    // Act
    await rotateToken(deployment.tokenSecretArn, 'token-v2');
    await sleep(1_100);
    await bed().ingest(deployment, [aSignup()]);
    const after = await bed().poll(deployment, sync);

    // Assert
    expect(before.response).toEqual({ batchItemFailures: [] });
    expect(after.response).toEqual({ batchItemFailures: [] });
    expect(sandbox.customers()).toHaveLength(2);
    expect(sandbox.stats().requests['POST 401']).toBeUndefined();
  });

  it('a 401 makes a warm sync re-read the secret at once, before its cache expires', async () => {
    // Arrange: the stack's default cache TTL (minutes), token v1 cached by a first batch.
    const { sandbox } = bed();
    sandbox.setTokens(['token-v1']);
    const deployment = await bed().deploy({ token: 'token-v1' });
    // Named: the test before sets a 1 s TTL, and the testbed restores variables only when it stops, so on a
    // loaded machine that TTL expired between the two polls and the secret was re-read without a 401.
    const sync = bed().loadSync(deployment, { TOKEN_CACHE_TTL_SECONDS: '300' });
    await bed().ingest(deployment, [aSignup()]);
    await bed().poll(deployment, sync);

    // Act
    await rotateToken(deployment.tokenSecretArn, 'token-v2');
    await bed().ingest(deployment, [aSignup()]);
    const after = await bed().poll(deployment, sync);

    // Assert: refused once with the cached token, then created with the new version.
    expect(after.response).toEqual({ batchItemFailures: [] });
    expect(sandbox.stats().requests['POST 401']).toBe(1);
    expect(sandbox.customers()).toHaveLength(2);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('defers the batch (nothing deleted, nothing in the DLQ) while the secret holds a revoked token', async () => {
    // Arrange: the store stopped accepting the token and nobody has put the new one in the secret yet.
    const { sandbox } = bed();
    const deployment = await bed().deploy();
    await bed().ingest(deployment, [aSignup(), aSignup()]);
    const sync = bed().loadSync(deployment);
    sandbox.setTokens(['a-token-only-the-store-knows']);

    // Act
    const poll = await bed().poll(deployment, sync);

    // Assert
    expect(poll.retried).toHaveLength(2);
    expect(poll.deleted).toEqual([]);
    expect(sandbox.stats().requests['POST 401']).toBe(2);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 2 });
    expect(await bed().drain(deployment.deadLetterQueue.url)).toEqual([]);
  });
});

describe('DLQ redrive', () => {
  it('is done by hand because moto does not implement StartMessageMoveTask', async () => {
    // If this fails, moto gained StartMessageMoveTask: use it in moveDeadLetters' place.
    const deployment = await bed().deploy();

    // Act
    const attempt = bed().sqs.send(new StartMessageMoveTaskCommand({ SourceArn: deployment.deadLetterQueue.arn, DestinationArn: deployment.signupQueue.arn }));

    // Assert
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(bed().moto.output()).toContain('The start_message_move_task action has not been implemented');
  });

  it('puts rejected signups back on the queue as they were, and the sync creates them once the cause is fixed', async () => {
    // Arrange: one signup rejected into the DLQ.
    const { sandbox, sqs } = bed();
    sandbox.setOptions({ rejectEmails: /^refused/ });
    const deployment = await bed().deploy();
    await bed().ingest(deployment, [aSignup({ email: 'refused@example.com' }), aSignup({ email: 'fine@example.com' })]);
    const sync = bed().loadSync(deployment);
    await bed().poll(deployment, sync);
    const [dead] = (await receiveBatch(sqs, deployment.deadLetterQueue.url, { visibilityTimeoutSeconds: 0 })) as [Message];
    sandbox.setOptions({ rejectEmails: undefined });

    // Act
    const moved = await moveDeadLetters(sqs, { from: deployment.deadLetterQueue.url, to: deployment.signupQueue.url });
    const redriven = await bed().poll(deployment, sync);

    // Assert: the same body and attributes came back, the sync created the customer, both queues are empty.
    expect(moved).toBe(1);
    expect(redriven.received).toHaveLength(1);
    expect(redriven.received[0]?.Body).toBe(dead.Body);
    expect(redriven.received[0]?.MessageAttributes).toEqual(dead.MessageAttributes);
    expect(redriven.response).toEqual({ batchItemFailures: [] });
    expect(
      sandbox
        .customers()
        .map((customer) => customer.email)
        .sort(),
    ).toEqual(['fine@example.com', 'refused@example.com']);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed().depth(deployment.deadLetterQueue.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
