import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildIngestHandler } from '../../../functions/ingest/build-handler';
import { WARM_UP_LEDGER_KEY, warmUpAtColdStart } from '../../../shared/aws/cold-start-warm-up';
import { loadIngestConfig } from '../../../shared/config/ingest-config';
import { NO_DELIVERY_LEDGER } from '../../../shared/ingest/delivery-ledger';
import { noMetrics } from '../../../shared/observability/metric-names';
import { aLambdaContext, anApiEvent, aSignup } from '../../helpers/events';
import { SECRETS, standardWebhookHeaders } from '../../helpers/ingest';
import { testLogger } from '../../helpers/log-capture';

/**
 * The ingest's cold start in Lambda (functions/ingest/handler.ts asks for it): the first request's calls start
 * while the function starts, so their handshakes overlap instead of following one another (docs/benchmarks.md).
 */

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/signups';
const ENV = { SIGNUP_QUEUE_URL: QUEUE_URL, SOURCES_SECRET: 'signup-sync/sources', DELIVERY_LEDGER_TABLE: 'deliveries' };

const sqsMock = mockClient(SQSClient);
const dynamoDbMock = mockClient(DynamoDBClient);
const secretsMock = mockClient(SecretsManagerClient);

beforeEach(() => {
  sqsMock.reset();
  dynamoDbMock.reset();
  secretsMock.reset();
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:123456789012:signups' } });
  dynamoDbMock.on(GetItemCommand).resolves({});
});

function aColdIngest(warmUpAtColdStart: boolean) {
  return buildIngestHandler(loadIngestConfig(ENV), {
    warmUpAtColdStart,
    sqs: new SQSClient({ region: 'us-east-1' }),
    dynamoDb: new DynamoDBClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    ledger: NO_DELIVERY_LEDGER,
    logger: testLogger,
    metrics: noMetrics,
  });
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

async function postASignup(handler: ReturnType<typeof aColdIngest>) {
  const body = JSON.stringify(aSignup());
  return (await handler(anApiEvent(body, { headers: standardWebhookHeaders(body, { at: new Date() }) }), aLambdaContext())) as { statusCode: number };
}

describe('the ingest at a cold start', () => {
  it('starts the sources secret, a ledger read of a key never written and the queue ARN before any request, and the first request reads no secret again', async () => {
    // Arrange
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ api: SECRETS.api }) });

    // Act: the function starts; no request yet
    const handler = aColdIngest(true);
    await settled();

    // Assert
    expect(secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: 'signup-sync/sources' }]);
    expect(dynamoDbMock.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'deliveries', Key: { id: { S: WARM_UP_LEDGER_KEY } } },
    ]);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn'] }]);

    // Act: the first request
    const answer = await postASignup(handler);

    // Assert: queued with the secret read at the start
    expect(answer.statusCode).toBe(202);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('changes nothing when a warm-up call fails: the first request makes its own and is queued', async () => {
    // Arrange: Secrets Manager and DynamoDB fail once, at the start
    secretsMock
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: JSON.stringify({ api: SECRETS.api }) });
    dynamoDbMock.on(GetItemCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const handler = aColdIngest(true);
    await settled();
    const answer = await postASignup(handler);

    // Assert
    expect(answer.statusCode).toBe(202);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('settles, logging at debug only, when a call throws at once or its client answers nothing', async () => {
    const debug: unknown[] = [];
    const logger = { ...testLogger, debug: (message: string, fields?: unknown) => debug.push({ message, fields }) };
    sqsMock.on(GetQueueAttributesCommand).resolves(undefined as never);
    await expect(
      warmUpAtColdStart({
        sourcesSecret: () => {
          throw Object.assign(new Error('no secret'), { name: 'ResourceNotFoundException' });
        },
        dynamoDb: { send: () => undefined } as unknown as DynamoDBClient,
        ledgerTableName: 'deliveries',
        sqs: new SQSClient({ region: 'us-east-1' }),
        signupQueueUrl: QUEUE_URL,
        logger,
      }),
    ).resolves.toBeUndefined();
    expect(debug).toEqual([
      {
        message: 'cold start warm-up call failed; the request makes its own',
        fields: { call: 'sourcesSecret', errorName: 'ResourceNotFoundException', errorMessage: 'no secret' },
      },
    ]);
  });

  it('makes no call at construction unless asked (tests and local mode)', async () => {
    aColdIngest(false);
    await settled();
    expect(secretsMock.calls()).toHaveLength(0);
    expect(dynamoDbMock.calls()).toHaveLength(0);
    expect(sqsMock.calls()).toHaveLength(0);
  });
});
