import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { buildSyncHandler } from '../functions/sync/build-handler';
import { startBigCommerceSandbox } from '../local/bigcommerce-sandbox';
import { createPrng } from '../local/bigcommerce-sandbox/prng';
import { signupMessageAttributes } from '../shared/aws/sqs-signup-queue';
import { loadSyncConfig } from '../shared/config/sync-config';
import { silentLogger } from '../shared/logger';
import { noMetrics } from '../shared/observability/metric-names';
import { type SignupMessage, signupMessageSchema } from '../shared/signup/signup-schema';
import type { DeadLetterQueue, VisibilityControl } from '../shared/sync/dead-letters';
import { MAX_CUSTOMERS_PER_REQUEST } from '../shared/sync/sync-engine';
import { DEPLOYED } from './drain';
import { fixed, pct, seconds, type Table } from './lib/table';

/**
 * The newsletter run of `npm run bench` (docs/benchmarks.md, docs/subscribers.md): signups of which
 * 50 % give marketing consent and 20 % have no names (those are among the consenting ones: a nameless
 * signup without consent is refused at ingest), synced by the deployed sync handler against the
 * sandbox with BigCommerce's Standard quota. BigCommerce creates customers 10 per request but
 * subscribers one per request, so the floor per signup is 0.1 per customer + 1 per subscriber write;
 * the run reports what the sync spends beside it, and checks nothing was lost or written twice.
 */

export type SubscribersBenchSettings = Readonly<{ signups: number; timeScale: number; seed: number }>;

export type SubscribersBenchResult = Readonly<{
  signups: number;
  consenting: number;
  nameless: number;
  customers: number;
  subscribers: number;
  requests: number;
  subscriberWrites: number;
  rateLimited: number;
  floor: number;
  lost: number;
  duplicated: number;
  rejected: number;
  elapsedMs: number;
  timeScale: number;
}>;

const CONSENTING = 0.5;
const NAMELESS = 0.2;

function makeMessages(count: number, seed: number): { messages: SignupMessage[]; consenting: number; nameless: number } {
  const random = createPrng(seed);
  const receivedAt = new Date().toISOString();
  let consenting = 0;
  let nameless = 0;
  const messages = Array.from({ length: count }, (_, index) => {
    const roll = random();
    const isNameless = roll < NAMELESS;
    const consents = roll < CONSENTING;
    if (consents) consenting += 1;
    if (isNameless) nameless += 1;
    const id = `news-${index.toString().padStart(6, '0')}`;
    return signupMessageSchema.parse({
      schema_version: 2,
      id,
      idempotency_key: `api:${id}`,
      received_at: receivedAt,
      source: { id: 'api', kind: 'canonical' },
      signup: {
        email: `reader-${seed}-${index}@example.com`,
        ...(isNameless ? {} : { first_name: 'Ada', last_name: 'Lovelace' }),
        ...(consents ? { consent: { marketing: true } } : {}),
      },
    });
  });
  return { messages, consenting, nameless };
}

const record = (message: SignupMessage, receiveCount: number): SQSRecord => {
  const attributes = signupMessageAttributes(message);
  return {
    messageId: message.id,
    receiptHandle: `rh-${message.id}-${receiveCount}`,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { dataType: value.DataType, stringValue: value.StringValue }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
    awsRequestId: undefined,
    awsRegion: 'us-east-1',
  } as SQSRecord;
};

/** One Lambda environment draining the queue in batches of 10; deferred messages go to the back. */
export async function runSubscribersBench({ signups, timeScale, seed }: SubscribersBenchSettings): Promise<SubscribersBenchResult> {
  const sandbox = await startBigCommerceSandbox({ seed, rateLimit: { quota: DEPLOYED.quota, windowMs: DEPLOYED.windowMs }, timeScale });
  const scaled = (productionMs: number) => productionMs * timeScale;
  const rejected: string[] = [];
  const deadLetters: DeadLetterQueue = { send: async (records) => void rejected.push(...records.map((entry) => entry.messageId)) };
  const visibility: VisibilityControl = { delay: async () => undefined };
  try {
    const config = loadSyncConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.bench/signups',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.bench/dlq',
      BIGCOMMERCE_STORE_HASH: sandbox.storeHash,
      BIGCOMMERCE_TOKEN_SECRET: 'bench',
      BIGCOMMERCE_API_URL: sandbox.url,
      BIGCOMMERCE_REQUEST_TIMEOUT_MS: String(Math.max(1, Math.round(scaled(DEPLOYED.requestTimeoutMs)))),
      SYNC_MAX_CONCURRENCY: '1',
    });
    const handler = buildSyncHandler(config, {
      tokens: { get: async () => sandbox.token, refresh: async () => sandbox.token },
      deadLetters,
      visibility,
      logger: silentLogger,
      metrics: noMetrics,
      options: {
        requestTimeoutMs: scaled(DEPLOYED.requestTimeoutMs),
        reserveMs: scaled(DEPLOYED.reserveMs),
        minRequestMs: scaled(DEPLOYED.minRequestMs),
        baseBackoffMs: scaled(DEPLOYED.baseBackoffMs),
      },
    });
    const { messages, consenting, nameless } = makeMessages(signups, seed);
    const pending = messages.map((message) => ({ message, receives: 0 }));
    const started = performance.now();
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_CUSTOMERS_PER_REQUEST);
      for (const item of batch) item.receives += 1;
      const deadline = Date.now() + scaled(DEPLOYED.functionTimeoutMs);
      const event: SQSEvent = { Records: batch.map((item) => record(item.message, item.receives)) };
      const result = await handler(event, {
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        awsRequestId: `bench-${pending.length}`,
      } as never);
      const retry = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
      pending.push(...batch.filter((item) => retry.has(item.message.id)));
    }
    const elapsedMs = performance.now() - started;
    const stats = sandbox.stats();
    const subscriberWrites = stats.log.filter(
      (entry) => entry.path.includes('/customers/subscribers') && entry.method !== 'GET' && entry.status !== 429,
    ).length;
    const customers = sandbox.customers().map((customer) => customer.email);
    const subscribers = sandbox.subscribers().map((subscriber) => subscriber.email);
    const expectedCustomers = messages.filter((message) => message.signup.first_name).map((message) => message.signup.email);
    const expectedSubscribers = messages.filter((message) => message.signup.consent?.marketing).map((message) => message.signup.email);
    const lost =
      expectedCustomers.filter((email) => !customers.includes(email)).length + expectedSubscribers.filter((email) => !subscribers.includes(email)).length;
    const duplicated = customers.length - new Set(customers).size + (subscribers.length - new Set(subscribers).size);
    return {
      signups,
      consenting,
      nameless,
      customers: customers.length,
      subscribers: subscribers.length,
      requests: stats.apiRequests,
      subscriberWrites,
      rateLimited: stats.rateLimited,
      floor: 0.1 * expectedCustomers.length + expectedSubscribers.length,
      lost,
      duplicated,
      rejected: rejected.length,
      elapsedMs,
      timeScale,
    };
  } finally {
    await sandbox.close();
  }
}

export function subscribersTable(result: SubscribersBenchResult): Table {
  const perSignup = (value: number) => fixed(value / result.signups, 3);
  return {
    title: `Newsletter signups: ${pct(CONSENTING, 0)} consenting, ${pct(NAMELESS, 0)} nameless (${result.signups} signups, Standard quota)`,
    headers: ['figure', 'value', 'per signup'],
    rows: [
      ['customers created', String(result.customers), perSignup(result.customers)],
      ['subscribers created', String(result.subscribers), perSignup(result.subscribers)],
      ['BigCommerce requests', String(result.requests), perSignup(result.requests)],
      ['floor (0.1 per customer + 1 per subscriber write)', fixed(result.floor, 1), perSignup(result.floor)],
      ['requests / floor', fixed(result.requests / result.floor, 3), ''],
      ['subscriber writes (POST/PUT)', String(result.subscriberWrites), perSignup(result.subscriberWrites)],
      ['429 answers', String(result.rateLimited), ''],
      ['lost / duplicated / rejected', `${result.lost} / ${result.duplicated} / ${result.rejected}`, ''],
      ['drain time (production time)', seconds(result.elapsedMs / result.timeScale), ''],
    ],
    notes: [
      'One Lambda environment, batches of 10, the deployed handler and engine; the sandbox answers with the Standard quota (150 requests / 30 s) on a scaled clock.',
      'Nameless signups are all consenting (without consent they are refused at ingest), so 30 % are customers with a subscriber, 20 % subscribers only and 50 % customers only.',
    ],
  };
}
