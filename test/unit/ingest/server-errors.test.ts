import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildIngestHandler } from '../../../functions/ingest/build-handler';
import type { IngestConfig } from '../../../shared/config/ingest-config';
import { createLogger } from '../../../shared/logger';
import { noMetrics } from '../../../shared/observability/metric-names';
import { QueueRejectedError } from '../../../shared/queue/errors';
import { aLambdaContext } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, fakeQueue, NOW, SOURCES, sourcesSecretJson, standardWebhookHeaders } from '../../helpers/ingest';
import { captureWrite } from '../../helpers/log-capture';

/**
 * The ingest's 5xx answers each come with a log line that says why (issue 23: 500s with no cause in the log).
 * A request that runs out of the function's time (here: the delivery ledger's DynamoDB never answers) is
 * answered 503 + Retry-After, which senders retry, never a bare 500, and its line says what it was waiting
 * for; a 500 names the error, its cause and the AWS call it came from.
 */

let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts connections and never answers: a DynamoDB that hangs.
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('answers 503 with Retry-After and logs what the request was waiting for when the function runs out of time', async () => {
  // Arrange: the deployed wiring with the ledger on a DynamoDB that never answers, 300 ms left in the invocation
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('signup-ingest', {
    write: (line) => {
      captureWrite(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const dynamoDb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const { queue, messages } = fakeQueue();
  const config: IngestConfig = {
    signupQueueUrl: 'https://sqs.test/signups',
    sources: SOURCES,
    sourcesSecretId: 'sources',
    sourcesSecretTtlMs: 300_000,
    deliveryLedger: { tableName: 'deliveries', retentionSeconds: 3600, inProgressSeconds: 10 },
    attributeFields: new Set(),
    signupsBearerToken: true,
    tracing: false,
  };
  const handler = buildIngestHandler(config, {
    queue,
    dynamoDb,
    sourcesSecretValue: sourcesSecretJson(),
    logger,
    metrics: noMetrics,
    now: () => NOW,
  });
  const body = JSON.stringify({ email: 'late@example.com', first_name: 'Ada', last_name: 'Lovelace' });
  const event = anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body) } });

  // Act
  const answer = (await handler(event, aLambdaContext(300))) as APIGatewayProxyStructuredResultV2;
  dynamoDb.destroy();

  // Assert: a retryable answer, nothing enqueued, and the cause in the log
  expect(answer.statusCode).toBe(503);
  expect(answer.headers).toMatchObject({ 'retry-after': '5', 'content-type': 'application/problem+json' });
  expect(JSON.parse(String(answer.body))).toMatchObject({ status: 503, title: 'Service Unavailable' });
  expect(messages).toHaveLength(0);
  const line = lines.find((entry) => entry['message'] === 'ingest ran out of time before answering; answered 503 so the sender retries');
  expect(line).toMatchObject({ level: 'ERROR', status: 503, timeoutMs: 10_000, waitingFor: [expect.stringMatching(/^DynamoDB PutItem for 0\.\d s$/)] });
  expect(lines.filter((entry) => entry['message'] === 'request failed')).toEqual([]);
});

it('logs every 500 with its cause: the error, what caused it, and the AWS call it came from', async () => {
  // Arrange: SQS refuses the messages for good (an access policy broken by hand, say)
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('signup-ingest', {
    write: (line) => {
      captureWrite(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const denied = Object.assign(new Error('User is not authorized to perform: sqs:sendmessage'), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403, attempts: 1 },
  });
  const queue = {
    enqueue: async () => {
      throw new QueueRejectedError('SQS refused the messages', { cause: denied });
    },
  };
  const handler = anIngestHandler({ queue, logger });
  const body = JSON.stringify({ email: 'refused@example.com', first_name: 'Ada', last_name: 'Lovelace' });

  // Act
  const answer = await handler(anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body) } }));

  // Assert
  expect(answer.statusCode).toBe(500);
  expect(lines.find((entry) => entry['message'] === 'request failed')).toMatchObject({
    level: 'ERROR',
    status: 500,
    errorName: 'QueueRejectedError',
    errorMessage: 'SQS refused the messages',
    cause: { errorName: 'AccessDenied', errorMessage: 'User is not authorized to perform: sqs:sendmessage' },
    awsHttpStatus: 403,
    awsAttempts: 1,
  });
});
