import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { makeIngestHandler } from '../functions/ingest/make-handler';
import { makeSyncHandler } from '../functions/sync/make-handler';
import type { Customer } from '../shared/bigcommerce/customer';
import { parseSourceSecrets } from '../shared/ingest/ingest-sources';
import { silentLogger } from '../shared/logger';
import type { SignupMessage } from '../shared/signup/signup-schema';
import { DEFAULT_CUSTOMER_OPTIONS } from '../shared/sync/customer-mapping';
import { createExistingShare } from '../shared/sync/existing-share';
import { createQuotaPacer } from '../shared/sync/quota-pacer';
import type { CustomerApi } from '../shared/sync/sync-engine';
import { aContext } from './lib/event-source';
import { makeSignupMessages } from './lib/signups';

/**
 * Warm, in-process cost of one event through each handler with I/O stubbed: the ingest with a queue that
 * accepts everything, the sync with a CustomerApi that answers 200 at once. Run in its own process
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
}>;

const API_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

function signedEvent(index: number, nowSeconds: number): APIGatewayProxyEventV2 {
  const body = JSON.stringify({ email: `Person${index}@Example.com`, first_name: 'Ada', last_name: 'Lovelace', phone: '+1 555 0100', consent: { marketing: true } });
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
        messageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue }])),
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

async function measure(kind: 'ingest' | 'sync', events: number): Promise<HandlerCost> {
  const warmup = Math.max(500, Math.floor(events / 5));
  let invoke: (index: number) => Promise<void>;
  let perInvocation: number;
  if (kind === 'ingest') {
    perInvocation = 1;
    let enqueued = 0;
    const secrets = parseSourceSecrets(JSON.stringify({ api: API_SECRET }), []);
    const handler = makeIngestHandler({
      queue: { enqueue: async (batch: readonly SignupMessage[]) => void (enqueued += batch.length) },
      sources: [],
      sourceSecrets: async () => secrets,
      logger: silentLogger,
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
    const api: CustomerApi = {
      createCustomers: async (customers) => ({
        data: customers.map((customer): Customer => ({ id: nextId++, email: customer.email, channel_ids: null, origin_channel_id: 1 })),
        status: 200,
        rateLimit: { quota: 150, left: 149, resetMs: 30_000, windowMs: 30_000 },
      }),
      updateCustomers: async () => ({ data: [], status: 200, rateLimit: undefined }),
      findCustomersByEmail: async () => ({ data: [], status: 200, rateLimit: undefined }),
    };
    // Built as functions/sync/handler.ts builds them, with the deployed SYNC_MAX_CONCURRENCY (2).
    const handler = makeSyncHandler({
      api,
      pacer: createQuotaPacer({ tailReserve: 2 - 1 }),
      existingShare: createExistingShare(),
      deadLetters: { send: async () => undefined },
      visibility: { delay: async () => undefined },
      resolveAttributes: async () => new Map(),
      logger: silentLogger,
      options: { conflictPolicy: 'skip', customer: DEFAULT_CUSTOMER_OPTIONS, requestTimeoutMs: 10_000 },
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
  const started = process.hrtime.bigint();
  for (let index = 0; index < invocations; index += 1) await invoke(warmupInvocations + index);
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  return {
    kind,
    events: invocations * perInvocation,
    invocations,
    usPerEvent: elapsedUs / (invocations * perInvocation),
    rssAfterWarmupMB,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

if (require.main === module) {
  const kind = process.argv[2];
  if (kind !== 'ingest' && kind !== 'sync') {
    console.error('usage: handler-cost ingest|sync [events]');
    process.exit(2);
  }
  measure(kind, Number(process.argv[3] ?? 20_000)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
