import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { buildIngestHandler } from '../functions/ingest/build-handler';
import { buildSyncHandler } from '../functions/sync/build-handler';
import { loadIngestConfig } from '../shared/config/ingest-config';
import { loadSyncConfig } from '../shared/config/sync-config';
import { NO_DELIVERY_LEDGER } from '../shared/ingest/delivery-ledger';
import { silentLogger } from '../shared/logger';
import { noMetrics } from '../shared/observability/metric-names';
import type { SignupMessage } from '../shared/signup/signup-schema';
import { aContext } from './lib/event-source';
import { makeSignupMessages } from './lib/signups';

/**
 * Warm, in-process cost of one event through each handler as functions/ingest/build-handler.ts and functions/sync/build-handler.ts wire it, with
 * I/O stubbed: the ingest with a queue that accepts everything, the sync with a fetch that answers 200 at once. Run in its own process
 * (bundled by bench/cold-start.ts and started by bench/run.ts) so its peak RSS is its own; prints JSON.
 *
 *   node handler-cost.js ingest|sync [events]
 */

export type HandlerCost = Readonly<{
  kind: 'ingest' | 'sync';
  events: number;
  invocations: number;
  usPerEvent: number;
  rssAfterWarmupMB: number;
  maxRssMB: number;
  /** With the deployed Powertools Logger and Metrics (mode `deployed-logs`): bytes they wrote per invocation. */
  logBytesPerInvocation?: number;
}>;

const API_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

function signedEvent(index: number, nowSeconds: number): APIGatewayProxyEventV2 {
  const body = JSON.stringify({
    email: `Person${index}@Example.com`,
    first_name: 'Ada',
    last_name: 'Lovelace',
    phone: '+1 555 0100',
    consent: { marketing: true },
  });
  const id = `msg_${index}`;
  const timestamp = String(nowSeconds);
  const key = Buffer.from(API_SECRET.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    version: '2.0',
    routeKey: 'POST /signups',
    rawPath: '/signups',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: { method: 'POST', path: '/signups', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'bench' },
      requestId: `req-${index}`,
      routeKey: 'POST /signups',
      stage: '$default',
      time: '27/Nov/2026:07:00:00 +0000',
      timeEpoch: nowSeconds * 1000,
    },
    body,
    isBase64Encoded: false,
  };
}

function sqsEvent(messages: ReturnType<typeof makeSignupMessages>): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.messageId,
        receiptHandle: `rh-${message.messageId}`,
        body: message.body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: Object.fromEntries(
          Object.entries(message.attributes).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue }]),
        ),
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:signups',
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

const mb = (bytes: number) => bytes / 1024 / 1024;
/** Distinct prepared signups, reused round-robin (the stubs keep no state that would notice). */
const POOL = 1000;

/**
 * `silent`: logger and metrics replaced by no-ops (the handlers' own cost). `deployed-logs`: Powertools Logger
 * and Metrics as deployed, their stdout counted and dropped (log bytes per invocation for bench/cost-model.ts).
 */
type Observability = 'silent' | 'deployed-logs';

async function measure(kind: 'ingest' | 'sync', events: number, observability: Observability = 'silent'): Promise<HandlerCost> {
  const quiet = observability === 'silent' ? { logger: silentLogger, metrics: noMetrics } : {};
  const warmup = Math.max(500, Math.floor(events / 5));
  let invoke: (index: number) => Promise<void>;
  let perInvocation: number;
  if (kind === 'ingest') {
    perInvocation = 1;
    let enqueued = 0;
    const config = loadIngestConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.bench/signups',
      SOURCES_SECRET: 'bench',
      DELIVERY_LEDGER_TABLE: 'bench-deliveries',
    });
    const handler = buildIngestHandler(config, {
      // Every bench event is a new delivery; the ledger's DynamoDB round trips are not what this measures.
      ledger: NO_DELIVERY_LEDGER,
      queue: {
        enqueue: async (batch: readonly SignupMessage[]) => {
          enqueued += batch.length;
        },
      },
      sourcesSecretValue: JSON.stringify({ api: API_SECRET }),
      ...quiet,
    });
    const now = Math.floor(Date.now() / 1000);
    // A pool reused round-robin: a prepared event per measured event would itself inflate the RSS figures.
    const prepared = Array.from({ length: POOL }, (_, index) => signedEvent(index, now));
    invoke = async (index) => {
      const response = (await handler(prepared[index % POOL]!, aContext(30_000))) as { statusCode: number; body?: string };
      if (response.statusCode !== 202) throw new Error(`ingest answered ${response.statusCode}: ${response.body ?? ''}`);
    };
    void enqueued;
  } else {
    perInvocation = 10;
    let nextId = 1;
    // BigCommerce answering every POST /v3/customers at once, with the customers it was sent, and each
    // consenting signup's subscriber request (POST /v3/customers/subscribers, one subscriber) likewise.
    const created: typeof fetch = async (input, init) => {
      if (String(input).includes('/customers/subscribers')) {
        const subscriber = JSON.parse(String(init?.body ?? '{}')) as { email?: string; consents?: string[] };
        const data = init?.method === 'GET' ? [] : { id: nextId++, email: subscriber.email ?? '', consents: subscriber.consents ?? [] };
        return new Response(JSON.stringify({ data }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const customers = JSON.parse(String(init?.body ?? '[]')) as { email: string }[];
      const data = customers.map((customer) => ({ id: nextId++, email: customer.email, channel_ids: null, origin_channel_id: 1 }));
      return new Response(JSON.stringify({ data }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    // The deployed SYNC_MAX_CONCURRENCY's default (2) and every other setting as deployed.
    const config = loadSyncConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.bench/signups',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.bench/dlq',
      BIGCOMMERCE_STORE_HASH: 'bench',
      BIGCOMMERCE_TOKEN_SECRET: 'bench',
    });
    const handler = buildSyncHandler(config, {
      tokens: { get: async () => 'bench-token', refresh: async () => 'bench-token' },
      fetch: created,
      deadLetters: { send: async () => undefined },
      visibility: { delay: async () => undefined },
      ...quiet,
    });
    const messages = makeSignupMessages(POOL, 'cost', 7);
    const prepared = Array.from({ length: POOL / 10 }, (_, index) => sqsEvent(messages.slice(index * 10, index * 10 + 10)));
    invoke = async (index) => {
      const response = await handler(prepared[index % prepared.length]!, aContext(30_000));
      if (response.batchItemFailures.length > 0) throw new Error('sync reported failures');
    };
  }
  const warmupInvocations = Math.floor(warmup / perInvocation);
  const invocations = Math.floor(events / perInvocation);
  for (let index = 0; index < warmupInvocations; index += 1) await invoke(index);
  const rssAfterWarmupMB = mb(process.memoryUsage().rss);
  // Powertools writes its JSON lines and EMF documents to stdout: counted, not shown (the result goes there too).
  let logBytes = 0;
  const write = process.stdout.write;
  if (observability === 'deployed-logs') {
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return true;
    }) as typeof process.stdout.write;
  }
  const started = process.hrtime.bigint();
  for (let index = 0; index < invocations; index += 1) await invoke(warmupInvocations + index);
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  process.stdout.write = write;
  return {
    kind,
    events: invocations * perInvocation,
    invocations,
    usPerEvent: elapsedUs / (invocations * perInvocation),
    rssAfterWarmupMB,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    ...(observability === 'deployed-logs' ? { logBytesPerInvocation: logBytes / invocations } : {}),
  };
}

if (require.main === module) {
  const kind = process.argv[2];
  if (kind !== 'ingest' && kind !== 'sync') {
    console.error('usage: handler-cost ingest|sync [events] [silent|deployed-logs]');
    process.exit(2);
  }
  measure(kind, Number(process.argv[3] ?? 20_000), process.argv[4] === 'deployed-logs' ? 'deployed-logs' : 'silent').then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
