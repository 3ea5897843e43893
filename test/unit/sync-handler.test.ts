import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { buildSyncHandler } from '../../functions/sync/build-handler';
import { loadSyncConfig } from '../../shared/config/sync-config';
import { createQuotaPacer, type QuotaPacer } from '../../shared/sync/quota-pacer';
import { aLambdaContext, anSqsEvent, anSqsRecord, aSignupMessage } from '../helpers/events';
import { echoCustomers, fakeFetch, type Responder } from '../helpers/fake-bigcommerce-fetch';
import { testLogger } from '../helpers/log-capture';
import { metricsRecorder } from '../helpers/metrics-recorder';

const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/signups';
const sqsMock = mockClient(SQSClient);
const secretsMock = mockClient(SecretsManagerClient);

function buildSync(
  responder: Responder = echoCustomers,
  { secretTtlSeconds = 300, pacer, now }: { secretTtlSeconds?: number; pacer?: QuotaPacer; now?: () => number } = {},
) {
  const bigcommerce = fakeFetch(responder);
  const config = loadSyncConfig({
    SIGNUP_QUEUE_URL: QUEUE_URL,
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    BIGCOMMERCE_STORE_HASH: 'abc123',
    BIGCOMMERCE_TOKEN_SECRET: 'token',
    BIGCOMMERCE_API_URL: 'https://api.bigcommerce.test',
    BIGCOMMERCE_REQUEST_TIMEOUT_MS: '5000',
    TOKEN_CACHE_TTL_SECONDS: String(secretTtlSeconds),
  });
  const handler = buildSyncHandler(config, {
    sqs: new SQSClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    fetch: bigcommerce.fetch,
    ...(now ? { now } : {}),
    createPacer: pacer ? () => pacer : createQuotaPacer,
    options: { baseBackoffMs: 1 },
    logger: testLogger,
    metrics: metricsRecorder().sink,
  });
  return { handler, bigcommerce };
}

beforeEach(() => {
  sqsMock.reset();
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'token-1' });
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `dlq-${entry.Id}`, MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
});

describe('sync handler', () => {
  it('sends 10 valid messages as exactly one POST with 10 customers and reports no failures', async () => {
    // Arrange
    const { handler, bigcommerce } = buildSync();
    const records = Array.from({ length: 10 }, () => anSqsRecord(aSignupMessage()));
    // Act
    const result = await handler(anSqsEvent(records), aLambdaContext());
    // Assert
    expect(result).toEqual({ batchItemFailures: [] });
    expect(bigcommerce.requests).toHaveLength(1);
    const [post] = bigcommerce.posts();
    expect(post!.url).toBe('https://api.bigcommerce.test/stores/abc123/v3/customers');
    expect(post!.token).toBe('token-1');
    expect((post!.body as { email: string }[]).map((customer) => customer.email).sort()).toEqual(
      records.map((record) => (JSON.parse(record.body) as { signup: { email: string } }).signup.email).sort(),
    );
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('sends an invalid message to the DLQ with its reason and keeps it out of the POST', async () => {
    const { handler, bigcommerce } = buildSync();
    const good = anSqsRecord(aSignupMessage());
    const invalid = anSqsRecord({ ...aSignupMessage(), signup: { email: 'nope', first_name: 'A', last_name: 'B' } } as never);
    const garbage = anSqsRecord('this is not json');

    const result = await handler(anSqsEvent([good, invalid, garbage]), aLambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    expect((bigcommerce.posts()[0]!.body as unknown[]).length).toBe(1);
    const entries = sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries!;
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.QueueUrl).toBe(DLQ_URL);
    const byId = new Map(entries.map((entry) => [entry.Id, entry]));
    expect(byId.get(invalid.messageId)?.MessageBody).toBe(invalid.body);
    expect(byId.get(invalid.messageId)?.MessageAttributes).toMatchObject({
      RejectionCode: { DataType: 'String', StringValue: 'invalid-message' },
      RejectionDetail: { DataType: 'String', StringValue: expect.stringContaining('/signup/email') },
      OriginalMessageId: { DataType: 'String', StringValue: invalid.messageId },
      SourceId: { DataType: 'String', StringValue: 'api' },
    });
    expect(byId.get(garbage.messageId)?.MessageAttributes?.RejectionCode?.StringValue).toBe('undecodable');
    expect(byId.has(good.messageId)).toBe(false);
  });

  it('merges two messages with one email into one customer and settles both', async () => {
    const { handler, bigcommerce } = buildSync();
    const first = aSignupMessage({ email: 'same@example.com', phone: '555-0100' }, { received_at: '2026-11-27T07:00:00.000Z' });
    const second = aSignupMessage({ email: 'same@example.com', first_name: 'Grace' }, { received_at: '2026-11-27T07:00:01.000Z' });

    const result = await handler(anSqsEvent([anSqsRecord(first), anSqsRecord(second), anSqsRecord(aSignupMessage())]), aLambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    const customers = bigcommerce.posts()[0]!.body as { email: string; first_name: string; phone?: string }[];
    expect(customers).toHaveLength(2);
    expect(customers.find((customer) => customer.email === 'same@example.com')).toMatchObject({ first_name: 'Grace', phone: '555-0100' });
  });

  it('reads the token once for 50 invocations of a warm container', async () => {
    const { handler } = buildSync();
    for (let i = 0; i < 50; i += 1) await handler(anSqsEvent([anSqsRecord(aSignupMessage())]), aLambdaContext());
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the token again after the cache TTL', async () => {
    let clock = Date.now();
    const { handler } = buildSync(echoCustomers, { secretTtlSeconds: 1, now: () => clock });
    await handler(anSqsEvent([anSqsRecord(aSignupMessage())]), aLambdaContext());
    clock += 1_001;
    await handler(anSqsEvent([anSqsRecord(aSignupMessage())]), aLambdaContext());
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('on a 401 re-reads the secret once and retries with the new token', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'old-token' })
      .resolves({ SecretString: JSON.stringify({ access_token: 'new-token' }) });
    const { handler, bigcommerce } = buildSync((request) =>
      request.token === 'new-token' ? echoCustomers(request) : { status: 401, body: { status: 401, title: 'Unauthorized' } },
    );

    const result = await handler(anSqsEvent([anSqsRecord(aSignupMessage()), anSqsRecord(aSignupMessage())]), aLambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(bigcommerce.posts().map((post) => post.token)).toEqual(['old-token', 'new-token']);
  });

  it('defers every message when the token secret is empty, without calling BigCommerce', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"access_token":""}' });
    const { handler, bigcommerce } = buildSync();
    const records = [anSqsRecord(aSignupMessage())];
    const result = await handler(anSqsEvent(records), aLambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.messageId }]);
    expect(bigcommerce.requests).toHaveLength(0);
  });

  it('defers every message, rejecting none, when the refreshed token is refused too', async () => {
    const { handler, bigcommerce } = buildSync(() => ({ status: 401, body: { status: 401, title: 'Unauthorized' } }));
    const records = [anSqsRecord(aSignupMessage()), anSqsRecord(aSignupMessage())];

    const result = await handler(anSqsEvent(records), aLambdaContext());

    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(bigcommerce.posts()).toHaveLength(2);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('backs a revoked token off by receive count, so the backlog outlives maxReceiveCount visibility timeouts', async () => {
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const { handler } = buildSync(() => ({ status: 401, body: { status: 401, title: 'Unauthorized' } }));
    const delivery = (receiveCount: number) => {
      const record = anSqsRecord(aSignupMessage());
      return { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) } };
    };

    await handler(anSqsEvent([delivery(1), delivery(3), delivery(5), delivery(9)]), aLambdaContext());

    const timeouts = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((call) => call.args[0].input.Entries!.map((entry) => entry.VisibilityTimeout));
    expect(timeouts).toEqual([60, 1_800, 43_200, 43_200]);
  });

  it('backs a BigCommerce outage off by receive count, so signups ride out hours of 5xx before the DLQ', async () => {
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const { handler, bigcommerce } = buildSync(() => ({ status: 503, body: { status: 503, title: 'Service Unavailable' } }));
    const delivery = (receiveCount: number) => {
      const record = anSqsRecord(aSignupMessage());
      return { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) } };
    };
    const records = [delivery(1), delivery(2), delivery(4)];

    const result = await handler(anSqsEvent(records), aLambdaContext());

    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(bigcommerce.posts().length).toBeGreaterThan(0);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
    const timeouts = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((call) => call.args[0].input.Entries!.map((entry) => [entry.Id, entry.VisibilityTimeout]));
    expect(Object.fromEntries(timeouts)).toEqual({ [records[0]!.messageId]: 60, [records[1]!.messageId]: 300, [records[2]!.messageId]: 7_200 });
  });

  it('defers the batch on a 429 it has no time to wait for, keeping the messages invisible until the reset', async () => {
    const { handler } = buildSync(() => ({
      status: 429,
      body: { status: 429, title: 'Too many requests' },
      headers: { 'x-rate-limit-time-reset-ms': '20000', 'x-rate-limit-requests-left': '0', 'x-rate-limit-requests-quota': '150', 'x-retry-after': '20' },
    }));
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const record = anSqsRecord(aSignupMessage());

    const result = await handler(anSqsEvent([record]), aLambdaContext(10_000));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    const entries = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries!;
    expect(entries).toEqual([{ Id: record.messageId, ReceiptHandle: record.receiptHandle, VisibilityTimeout: expect.any(Number) }]);
    expect(entries[0]!.VisibilityTimeout).toBeGreaterThanOrEqual(20);
  });

  it('keeps a rejected message for retry when the DLQ send fails', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('sqs down'));
    const { handler } = buildSync();
    const garbage = anSqsRecord('not json');
    const result = await handler(anSqsEvent([garbage, anSqsRecord(aSignupMessage())]), aLambdaContext());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: garbage.messageId }] });
  });

  it('reports the whole batch as failed if something unexpected throws', async () => {
    const brokenPacer = {
      observe: () => undefined,
      delayMs: (): number => {
        throw new TypeError('bug');
      },
    };
    const { handler } = buildSync(echoCustomers, { pacer: brokenPacer });
    const records = [anSqsRecord(aSignupMessage()), anSqsRecord(aSignupMessage())];
    const result = await handler(anSqsEvent(records), aLambdaContext());
    expect(result.batchItemFailures).toHaveLength(2);
  });
});
