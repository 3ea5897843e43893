import { createHmac } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildIngestHandler } from '../functions/ingest/build-handler';
import { startEmbeddedDynamoDb } from '../local/delivery-ledger/embedded-dynamodb';
import { loadIngestConfig } from '../shared/config/ingest-config';
import { silentLogger } from '../shared/logger';
import { noMetrics } from '../shared/observability/metric-names';
import { QueueUnavailableError } from '../shared/queue/errors';
import type { SignupMessage } from '../shared/signup/signup-schema';
import { aContext } from './lib/event-source';

/**
 * What the delivery ledger costs per delivery, measured: the real ingest handler (functions/ingest/
 * build-handler.ts, its DynamoDB ledger and client limiter as deployed) against the embedded DynamoDB
 * (dynalite, as local mode runs it), every DynamoDB call counted by the client. Write request units are
 * DynamoDB's rule: ceil(item size / 1 KB) for a write that succeeds, and the same for a conditional write
 * that fails, on the larger of the stored and the new item (AWS DynamoDB developer guide, "read and write
 * operations"); reads ceil(size / 4 KB), halved when eventually consistent.
 */

type Dynalite = { itemSize: (item: unknown) => number };
// dynalite's own item-size rule (attribute names + values), the one its ConsumedCapacity uses.
const { itemSize } = require('dynalite/db') as Dynalite;

export type LedgerCount = Readonly<{ calls: Readonly<Record<string, number>>; writeUnits: number; readUnits: number }>;

export type LedgerScenarioKey = 'new' | 'new10' | 'new100' | 'repeat' | 'conflict' | 'unauthorized' | 'invalid' | 'queue-down' | 'form';

export type LedgerScenario = Readonly<{
  key: LedgerScenarioKey;
  scenario: string;
  answer: number;
  calls: Readonly<Record<string, number>>;
  writeUnits: number;
  readUnits: number;
  /** What its writes buy (docs/benchmarks.md, the ledger table). */
  buys: string;
}>;

/**
 * Counts the DynamoDB calls and request units of `client` (a middleware; the sizes by dynalite's rule).
 * `lookup` (another client to the same store) sizes the stored item of a failed conditional write.
 */
function countingClient(client: DynamoDBClient, lookup: DynamoDBClient) {
  let calls: Record<string, number> = {};
  let writeUnits = 0;
  let readUnits = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      calls[command] = (calls[command] ?? 0) + 1;
      const input = args.input as Record<string, unknown> & { Item?: unknown; Key?: unknown; TableName?: string; ConsistentRead?: boolean };
      const isWrite = command === 'PutItemCommand' || command === 'UpdateItemCommand' || command === 'DeleteItemCommand';
      if (isWrite) input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: { CapacityUnits?: number }; Item?: unknown } & GetItemCommandOutput;
        if (isWrite) writeUnits += output.ConsumedCapacity?.CapacityUnits ?? 1;
        if (command === 'GetItemCommand') readUnits += (output.Item ? Math.ceil(itemSize(output.Item) / 4096) : 1) / (input.ConsistentRead ? 1 : 2);
        return result;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException && isWrite) {
          // Billed as a write of the larger of the stored item and the new one (at least one unit).
          const stored = await lookup.send(new GetItemCommand({ TableName: input.TableName, Key: (input.Key ?? keyOf(input.Item)) as never }));
          const sizes = [stored.Item ? itemSize(stored.Item) : 0, input.Item ? itemSize(input.Item) : 0];
          writeUnits += Math.max(1, Math.ceil(Math.max(...sizes) / 1024));
          calls['ConditionalCheckFailed'] = (calls['ConditionalCheckFailed'] ?? 0) + 1;
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'countLedgerUnits' },
  );
  return {
    take(): LedgerCount {
      const taken = { calls, writeUnits, readUnits };
      calls = {};
      writeUnits = 0;
      readUnits = 0;
      return taken;
    },
  };
}

const keyOf = (item: unknown) => ({ id: (item as { id: unknown }).id });

const API_SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const FORM = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://shop.example.com'],
  thankYouUrl: 'https://shop.example.com/thanks',
  errorUrl: 'https://shop.example.com/oops',
  captcha: false,
  captchaReason: 'the ledger bench',
} as const;

function canonicalEvent(body: string, id: string, { sign = true } = {}): APIGatewayProxyEventV2 {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(API_SECRET.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    version: '2.0',
    routeKey: 'POST /signups',
    rawPath: '/signups',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': sign ? `v1,${signature}` : 'v1,AAAA',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: { method: 'POST', path: '/signups', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'bench' },
      requestId: `req-${id}`,
      routeKey: 'POST /signups',
      stage: '$default',
      time: '06/Dec/2026:07:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

function formEvent(body: string): APIGatewayProxyEventV2 {
  const event = canonicalEvent(body, 'form', { sign: false });
  return {
    ...event,
    routeKey: 'POST /sources/{sourceId}',
    rawPath: `/sources/${FORM.id}`,
    pathParameters: { sourceId: FORM.id },
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://shop.example.com', accept: 'text/html' },
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: `/sources/${FORM.id}` }, routeKey: 'POST /sources/{sourceId}' },
  };
}

const signup = (email: string) => JSON.stringify({ email, first_name: 'Ada', last_name: 'Lovelace' });

/** Runs each scenario through the ingest and counts what it cost the ledger's table. */
export async function runLedgerWrites(): Promise<LedgerScenario[]> {
  const store = await startEmbeddedDynamoDb();
  const dynamoDb = new DynamoDBClient({ endpoint: store.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const counter = countingClient(dynamoDb, store.client);
  const queue = { fail: false };
  try {
    const config = loadIngestConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.bench/signups',
      SOURCES_SECRET: 'bench',
      SOURCES_CONFIG: JSON.stringify([FORM]),
      DELIVERY_LEDGER_TABLE: store.tableName,
    });
    const handler = buildIngestHandler(config, {
      dynamoDb,
      queue: {
        enqueue: async (_batch: readonly SignupMessage[]) => {
          if (queue.fail) throw new QueueUnavailableError('the bench queue refuses');
        },
      },
      sourcesSecretValue: JSON.stringify({ api: API_SECRET }),
      logger: silentLogger,
      metrics: noMetrics,
    });
    const send = async (event: APIGatewayProxyEventV2) => ((await handler(event, aContext(10_000))) as APIGatewayProxyStructuredResultV2).statusCode ?? 0;
    const scenarios: LedgerScenario[] = [];
    const measure = async (key: LedgerScenarioKey, scenario: string, buys: string, act: () => Promise<number>) => {
      counter.take();
      const answer = await act();
      scenarios.push({ key, scenario, answer, buys, ...counter.take() });
    };

    const delivery = canonicalEvent(signup('ada@example.com'), 'msg_ledger_1');
    await measure(
      'new',
      'a new delivery (POST /signups, one signup)',
      'a conditional put of the in-progress record with its payload hash before SendMessage: a concurrent copy waits for it instead of queuing a second message, and a reused id with another payload is told apart (409); the completion with the receipt after it: a retry within deliveryRetentionHours gets the same 202 and ids, nothing queued',
      () => send(delivery),
    );
    const batch = (count: number, from: number) =>
      JSON.stringify(Array.from({ length: count }, (_, index) => ({ email: `person${from + index}@example.com`, first_name: 'Ada', last_name: 'Lovelace' })));
    await measure('new10', 'a new delivery of 10 signups (POST /signups)', 'the same two writes; the receipt (10 ids) still fits in 1 KB', () =>
      send(canonicalEvent(batch(10, 100), 'msg_ledger_10')),
    );
    await measure(
      'new100',
      'a new delivery of 100 signups (POST /signups, its limit)',
      'the same two writes, the completion billed by its size (100 ids)',
      () => send(canonicalEvent(batch(100, 200), 'msg_ledger_100')),
    );
    await measure(
      'repeat',
      'the same delivery again (a sender retry)',
      'the failed conditional put, which answers it: the stored receipt comes back with the failure (DynamoDB returns the item on a failed condition), so no read',
      () => send(canonicalEvent(signup('ada@example.com'), 'msg_ledger_1')),
    );
    await measure('conflict', 'the same id with another signup (409)', 'the failed conditional put, whose stored payload hash differs', () =>
      send(canonicalEvent(signup('grace@example.com'), 'msg_ledger_1')),
    );
    await measure('unauthorized', 'a bad signature (401)', 'nothing: refused before the ledger', () =>
      send(canonicalEvent(signup('eve@example.com'), 'msg_ledger_2', { sign: false })),
    );
    await measure('invalid', 'an invalid signup (422)', 'nothing: refused before the ledger', () =>
      send(canonicalEvent(JSON.stringify({ email: 'nope' }), 'msg_ledger_3')),
    );
    queue.fail = true;
    await measure('queue-down', 'SQS refusing (503)', 'the in-progress put and its deletion: the sender retry finds no record and is queued', () =>
      send(canonicalEvent(signup('lin@example.com'), 'msg_ledger_4')),
    );
    queue.fail = false;
    await measure('form', 'a public form post (html-form)', "the client's counter (one update per post) and the ledger's two writes", () =>
      send(formEvent('email=form%40example.com&first_name=Ada&last_name=Lovelace')),
    );
    return scenarios;
  } finally {
    dynamoDb.destroy();
    await store.close();
  }
}

export const LEDGER_COMMANDS = [PutItemCommand, UpdateItemCommand, DeleteItemCommand].map((command) => command.name);

if (require.main === module) {
  runLedgerWrites().then(
    (scenarios) => process.stdout.write(`${JSON.stringify(scenarios, null, 2)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
