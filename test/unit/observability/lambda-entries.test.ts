import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { SERVICE } from '../../../shared/observability/metric-names';
import { aLambdaContext } from '../../helpers/events';
import { anHttpEvent, sourcesSecretJson, standardWebhookHeaders } from '../../helpers/ingest';
import { captureWrite } from '../../helpers/log-capture';

/**
 * The ingest Lambda entry as deployed (functions/ingest/handler.ts: Powertools Logger through
 * injectLambdaContext with resetKeys and the request id as correlation id), observed on stdout.
 */

const savedEnv = { ...process.env };
afterAll(() => {
  process.env = savedEnv;
});

const sqsMock = mockClient(SQSClient);
const secretsMock = mockClient(SecretsManagerClient);
// The delivery ledger's table: each delivery is recorded, then completed.
const dynamoMock = mockClient(DynamoDBClient);
let lines: string[];
let writes: jest.SpyInstance[];

beforeEach(() => {
  lines = [];
  const keep = (chunk: string | Uint8Array) => {
    const text = String(chunk);
    lines.push(...text.split('\n').filter((line) => line.trim() !== ''));
    captureWrite(text);
    return true;
  };
  writes = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: sourcesSecretJson([]) });
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({});
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
});

afterEach(() => {
  for (const write of writes) write.mockRestore();
  sqsMock.reset();
  secretsMock.reset();
  dynamoMock.reset();
});

describe('ingest Lambda entry', () => {
  it('logs each request with the Lambda context and its own request id as correlation id, no personal data', async () => {
    // Arrange: the deployed environment variable names; the entry validates them at import
    Object.assign(process.env, {
      SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
      SOURCES_SECRET: 'signup-sync/sources',
      DELIVERY_LEDGER_TABLE: 'SignupSync-DeliveryLedgerTable',
      AWS_REGION: 'us-east-1',
    });
    const { handler } = require('../../../functions/ingest/handler') as { handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyResultV2> };
    const signed = (email: string) => {
      const body = JSON.stringify({ email, first_name: 'Ada', last_name: 'Lovelace' });
      return anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body, { at: new Date() }) } });
    };
    const first = signed('first@example.com');
    const second = signed('second@example.com');

    // Act
    const answers = [await handler(first, aLambdaContext()), await handler(second, aLambdaContext())];

    // Assert
    expect(answers.map((answer) => (answer as { statusCode: number }).statusCode)).toEqual([202, 202]);
    const accepted = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['message'] === 'signups accepted');
    expect(accepted).toHaveLength(2);
    expect(accepted.map((entry) => entry['correlation_id'])).toEqual([first.requestContext.requestId, second.requestContext.requestId]);
    // The Lambda context as CompactLogFormatter keeps it: the request id and cold start, not what the log group says.
    for (const entry of accepted) {
      expect(entry).toMatchObject({ service: SERVICE.ingest, cold_start: expect.any(Boolean), function_request_id: expect.any(String) });
      expect(entry).not.toHaveProperty('function_arn');
      expect(entry).not.toHaveProperty('function_name');
      expect(entry).not.toHaveProperty('function_memory_size');
    }
    expect(lines.join('\n')).not.toMatch(/first@example\.com|second@example\.com|Lovelace/);
  });
});
