import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { type SignupInput, type SignupMessage, signupMessageSchema } from '../../../shared/signup/signup-schema';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, fakeQueue, NOW, SECRETS, sourceIdOf, standardWebhookHeaders } from '../../helpers/ingest';
import { syncHarness } from '../../helpers/sync-harness';

/**
 * Attack (docs/security.md, "A future-dated subscribe beating an opt-out"): a subscribe received an hour
 * before the person's opt-out, but carrying `occurred_at: 2099-…`, re-subscribed them, because the
 * subscriber path compared `occurred_at` as sent. Now one event-time rule caps every event time at its
 * receipt (shared/signup/event-time.ts), POST /signups refuses a date more than 5 minutes ahead with 422,
 * and a webhook's future date is capped at its receipt (its sender cannot change it).
 */

const FAR_FUTURE = '2099-01-01T00:00:00.000Z';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('ingest: a signup dated in the future', () => {
  it('POST /signups refuses a subscribe dated 2099 with 422 naming /occurred_at, and queues nothing', async () => {
    // Arrange: the caller holds the api secret and dates its subscribe far in the future.
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue });
    const body = JSON.stringify({ email: 'ada@example.com', consent: { marketing: true }, occurred_at: FAR_FUTURE });

    // Act
    const response = await ingest(anHttpEvent('/signups', { body, headers: { ...JSON_TYPE, ...standardWebhookHeaders(body) } }));

    // Assert
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body).errors).toEqual([{ path: '/occurred_at', message: expect.stringMatching(/more than 5 minutes after/) }]);
    expect(messages).toEqual([]);
  });

  it('POST /signups names the index in a batch, and accepts a date within 5 minutes of clock skew', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue });
    const skewed = new Date(NOW.getTime() + 4 * 60_000).toISOString();
    const batch = JSON.stringify([
      { email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper', occurred_at: skewed },
      { email: 'ada@example.com', consent: { marketing: true }, occurred_at: new Date(NOW.getTime() + 6 * 60_000).toISOString() },
    ]);
    const single = JSON.stringify({ email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper', occurred_at: skewed });

    // Act
    const refused = await ingest(anHttpEvent('/signups', { body: batch, headers: { ...JSON_TYPE, authorization: `Bearer ${SECRETS.api}` } }));
    const accepted = await ingest(anHttpEvent('/signups', { body: single, headers: { ...JSON_TYPE, authorization: `Bearer ${SECRETS.api}` } }));

    // Assert
    expect(refused.statusCode).toBe(422);
    expect(JSON.parse(refused.body).errors).toEqual([{ path: '/1/occurred_at', message: expect.any(String) }]);
    expect(accepted.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
  });

  it('a webhook delivery dated 2099 is never answered 4xx: it is queued with its event time capped at its receipt', async () => {
    // Arrange: a signed Standard Webhooks event whose `timestamp` (the sender's event time) is in 2099.
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue });
    const body = JSON.stringify({ type: 'contact.subscribed', timestamp: FAR_FUTURE, data: { email: 'ada@example.com', consent: { marketing: true } } });

    // Act
    const response = await ingest(
      anHttpEvent(`/sources/${sourceIdOf('standard-webhooks')}`, {
        body,
        headers: { ...JSON_TYPE, ...standardWebhookHeaders(body, { secret: SECRETS.standardWebhooks }) },
      }),
    );

    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
    const message = signupMessageSchema.parse(messages[0]);
    expect(message.signup.occurred_at).toBe(NOW.toISOString());
    expect(message.received_at).toBe(NOW.toISOString());
  });
});

describe('sync: a subscribe dated in the future against a later opt-out', () => {
  let sandbox: BigCommerceSandbox;
  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ seed: 20, rateLimit: { quota: 150, windowMs: 30_000 }, timeScale: 0.001 });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  const EMAIL = 'ada@example.com';
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  /** A queued message as the ingest wrote it when it received the signup. */
  const queued = (signup: SignupInput, receivedAt: string): SignupMessage =>
    signupMessageSchema.parse({ ...aSignupMessage(), schema_version: 2, received_at: receivedAt, signup });
  const subscribedNow = () =>
    sandbox
      .subscribers()
      .find((subscriber) => subscriber.email === EMAIL)
      ?.consents.includes('marketing_newsletter');

  // Received 61 minutes ago, but dated 2099 by its sender; the opt-out was received an hour after it.
  const futureSubscribe = () => queued({ email: EMAIL, consent: { marketing: true }, occurred_at: FAR_FUTURE }, minutesAgo(61));
  const optOut = () => queued({ email: EMAIL, opt_out: true, occurred_at: minutesAgo(1) }, minutesAgo(1));

  it('in one batch: the opt-out received later wins, the person stays unsubscribed', async () => {
    // Arrange
    sandbox.seedSubscribers([{ email: EMAIL, consents: ['marketing_newsletter'] }]);
    const harness = syncHarness(sandbox);

    try {
      // Act
      const retry = await harness.invoke([anSqsRecord(futureSubscribe()), anSqsRecord(optOut())]);

      // Assert
      expect(retry).toEqual([]);
      expect(subscribedNow()).toBe(false);
    } finally {
      harness.restore();
    }
  });

  it('delivered late, after the opt-out was written: superseded, not re-subscribed', async () => {
    // Arrange: the opt-out is synced first (the subscribe was deferred and comes back later).
    sandbox.seedSubscribers([{ email: EMAIL, consents: ['marketing_newsletter'] }]);
    const harness = syncHarness(sandbox);

    try {
      // Act
      await harness.invoke([anSqsRecord(optOut())]);
      const unsubscribed = subscribedNow();
      const retry = await harness.invoke([anSqsRecord(futureSubscribe())]);

      // Assert
      expect(retry).toEqual([]);
      expect(unsubscribed).toBe(false);
      expect(subscribedNow()).toBe(false);
      expect(sandbox.stats().log.filter((entry) => entry.method === 'PUT')).toHaveLength(1);
    } finally {
      harness.restore();
    }
  });
});
