import { buildSyncHandler } from '../../../functions/sync/build-handler';
import { loadSyncConfig } from '../../../shared/config/sync-config';
import { createLogger } from '../../../shared/logger';
import { createEmailHasher } from '../../../shared/observability/email-hash';
import { aLambdaContext, anSqsEvent, anSqsRecord, aSignupMessage } from '../../helpers/events';
import { fakeFetch, type Responder } from '../../helpers/fake-bigcommerce-fetch';
import { captureWrite } from '../../helpers/log-capture';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/**
 * The sync's log lines carry what its metrics used to count (docs/operations.md, "Logs, metrics and
 * traces"): a `signup decision` line per message with its outcome, the newsletter part's outcome and the
 * receipt-to-customer time, and a `batch synced` line per batch with its BigCommerce figures.
 */

const NOW = Date.parse('2026-11-27T07:00:00.000Z');
const receivedAgo = (ms: number) => ({ received_at: new Date(NOW - ms).toISOString() });

function sync(responder: Responder, { logHashKey }: { logHashKey?: string } = {}) {
  const entries: Record<string, unknown>[] = [];
  const logger = createLogger('signup-sync', {
    level: 'info',
    write: (line) => {
      captureWrite(line);
      entries.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const handler = buildSyncHandler(
    loadSyncConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
      BIGCOMMERCE_STORE_HASH: 'abc123',
      BIGCOMMERCE_TOKEN_SECRET: 'token',
      ...(logHashKey ? { LOG_HASH_KEY: logHashKey } : {}),
    }),
    {
      tokens: { get: async () => 'a-bigcommerce-token', refresh: async () => 'a-bigcommerce-token' },
      fetch: fakeFetch(responder).fetch,
      deadLetters: { send: async () => undefined },
      visibility: { delay: async () => undefined },
      now: () => NOW,
      logger,
      metrics: metricsRecorder().sink,
    },
  );
  return { handler, entries, decisions: () => entries.filter((entry) => entry['message'] === 'signup decision') };
}

/** Customers created with ids from 1; subscribers created for consenting signups. */
const store: Responder = (request) => {
  if (request.url.includes('/customers/subscribers')) {
    const subscriber = request.body as { email: string };
    return { status: 200, body: { data: { id: 7, email: subscriber.email, consents: ['marketing_newsletter'] } } };
  }
  if (request.method === 'GET') return { status: 200, body: { data: [], meta: { pagination: { total_pages: 1 } } } };
  const customers = request.body as { email: string }[];
  return { status: 200, body: { data: customers.map((customer, index) => ({ id: index + 1, ...customer })) } };
};

describe('sync log lines', () => {
  it('give each decision its outcome, newsletter outcome and receipt-to-customer time, and the batch its BigCommerce figures', async () => {
    // Arrange
    const { handler, entries, decisions } = sync(store);
    const consenting = aSignupMessage({ consent: { marketing: true } }, receivedAgo(1500));
    const plain = aSignupMessage({}, receivedAgo(400));

    // Act
    await handler(anSqsEvent([anSqsRecord(consenting), anSqsRecord(plain)]), aLambdaContext());

    // Assert
    const bySignup = new Map(decisions().map((entry) => [entry['signupId'], entry]));
    expect(bySignup.get(consenting.id)).toMatchObject({ outcome: 'created', subscriber: 'subscribed', receiptToCustomerMs: 1500 });
    expect(bySignup.get(plain.id)).toMatchObject({ outcome: 'created', receiptToCustomerMs: 400 });
    expect(bySignup.get(plain.id)).not.toHaveProperty('subscriber');
    const batch = entries.find((entry) => entry['message'] === 'batch synced');
    expect(batch).toMatchObject({ records: 2, created: 2, customers: 2, bigCommerceRequests: 2, requestsPerCustomer: 1 });
    expect(batch!['bigCommerceByStatus']).toEqual({ POST_200: 2 });
  });

  it('stand for each email by its hash under the stack key (LOG_HASH_KEY), never the address', async () => {
    const message = aSignupMessage();
    const keyed = sync(store, { logHashKey: 'a-log-hash-key-of-32-characters!' });
    await keyed.handler(anSqsEvent([anSqsRecord(message)]), aLambdaContext());
    expect(keyed.decisions()[0]!['emailHash']).toBe(createEmailHasher('a-log-hash-key-of-32-characters!')(message.signup.email));
    expect(JSON.stringify(keyed.entries)).not.toContain(message.signup.email);
  });
});
