import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { BigCommerceClient } from '../../../shared/bigcommerce/client';
import { type SignupInput, type SignupMessage, signupMessageSchema } from '../../../shared/signup/signup-schema';
import { type CustomerOptions, DEFAULT_CUSTOMER_OPTIONS } from '../../../shared/sync/customer-mapping';
import { decodeSignupMessage } from '../../../shared/sync/decode-message';
import type { SyncOutcome } from '../../../shared/sync/outcome';
import { createQuotaPacer } from '../../../shared/sync/quota-pacer';
import { syncSignups } from '../../../shared/sync/sync-engine';
import { aSignupMessage } from '../../helpers/events';

/**
 * The newsletter part of the sync against the sandbox over HTTP (docs/subscribers.md): what each signup
 * shape becomes, the subscriber failure table (409, 5xx that wrote, 422, 429), opt-outs, latest event
 * wins within a batch, and never a DELETE.
 */

let sandbox: BigCommerceSandbox;
beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ seed: 5, channels: [1, 2], rateLimit: { quota: 150, windowMs: 30_000 }, timeScale: 0.001 });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());
afterEach(() => {
  // The client has no delete method; the sandbox would count any unfiltered DELETE that arrived.
  expect(sandbox.unfilteredSubscriberDeletes()).toBe(0);
  expect(sandbox.stats().log.filter((entry) => entry.method === 'DELETE')).toEqual([]);
});

let counter = 0;
/** A version 2 message, validated as the sync would decode it (names dropped when `undefined`). */
function message(signup: Partial<SignupInput> & { email: string }, overrides: Partial<SignupMessage> = {}): SignupMessage {
  const base = aSignupMessage({}, overrides);
  const input = Object.fromEntries(Object.entries({ first_name: 'Ada', last_name: 'Lovelace', ...signup }).filter(([, value]) => value !== undefined));
  counter += 1;
  // Received after anything the sandbox holds was last changed (see 'superseded' below).
  return signupMessageSchema.parse({ ...base, schema_version: 2, received_at: new Date(Date.now() + counter * 1000).toISOString(), signup: input });
}
const nameless = { first_name: undefined, last_name: undefined };

function sync(messages: SignupMessage[], options: { subscribers?: boolean; customer?: CustomerOptions } = {}) {
  const client = new BigCommerceClient({
    apiUrl: sandbox.url,
    storeHash: sandbox.storeHash,
    tokens: { get: async () => sandbox.token, refresh: async () => sandbox.token },
    timeoutMs: 500,
  });
  return syncSignups(
    messages.map((item) => ({ id: item.id, message: item })),
    { api: client, pacer: createQuotaPacer(), remainingTimeMs: () => 20_000, sleep: async () => undefined },
    {
      conflictPolicy: 'skip',
      customer: options.customer ?? DEFAULT_CUSTOMER_OPTIONS,
      attributeIds: new Map(),
      requestTimeoutMs: 500,
      minRequestMs: 50,
      reserveMs: 0,
      baseBackoffMs: 1,
      ...(options.subscribers !== undefined ? { subscribers: options.subscribers } : {}),
    },
  );
}

const requests = (method: string, path: string) => sandbox.stats().log.filter((entry) => entry.method === method && entry.path.endsWith(path)).length;
const subscriberOf = (email: string) => sandbox.subscribers().find((subscriber) => subscriber.email === email);

describe('what a signup becomes (subscribers on, the default)', () => {
  it.each<[string, Partial<SignupInput>, { customer: boolean; consents?: string[]; status: SyncOutcome['status'] }]>([
    ['names, no consent -> a customer only', {}, { customer: true, status: 'created' }],
    [
      'names and consent -> a customer and a subscriber',
      { consent: { marketing: true } },
      { customer: true, consents: ['marketing_newsletter'], status: 'created' },
    ],
    [
      'names and both consents -> the subscriber holds both',
      { consent: { marketing: true, abandoned_cart: true } },
      { customer: true, consents: ['marketing_newsletter', 'abandoned_cart'], status: 'created' },
    ],
    [
      'no names and consent -> a subscriber only',
      { ...nameless, consent: { marketing: true } },
      { customer: false, consents: ['marketing_newsletter'], status: 'subscribed' },
    ],
    [
      'a first name only and consent -> a subscriber with that name',
      { last_name: undefined, consent: { marketing: true } },
      { customer: false, consents: ['marketing_newsletter'], status: 'subscribed' },
    ],
  ])('%s', async (_case, signup, expected) => {
    // Arrange
    const item = message({ email: 'row@example.com', ...signup });

    // Act
    const outcome = (await sync([item])).get(item.id)!;

    // Assert
    expect(outcome.status).toBe(expected.status);
    expect(sandbox.customers().map((customer) => customer.email)).toEqual(expected.customer ? ['row@example.com'] : []);
    expect(subscriberOf('row@example.com')?.consents).toEqual(expected.consents);
    if (expected.consents && expected.customer) expect(outcome).toMatchObject({ subscriber: { status: 'subscribed', subscriberId: expect.any(Number) } });
    if (expected.consents) expect(subscriberOf('row@example.com')?.first_name).toBe('first_name' in signup ? '' : 'Ada');
  });

  it('no names and no consent -> rejected with a reason that says so, nothing written', async () => {
    const item = message({ email: 'bare@example.com', ...nameless });
    const outcome = (await sync([item])).get(item.id)!;
    expect(outcome).toEqual({ status: 'rejected', rejection: { code: 'nameless', detail: expect.stringMatching(/no marketing consent/) } });
    expect(sandbox.stats().apiRequests).toBe(0);
  });

  it('subscribers off: consent is carried but not written (customers as before); a nameless subscriber is rejected', async () => {
    const named = message({ email: 'named@example.com', consent: { marketing: true } });
    const bare = message({ email: 'bare@example.com', ...nameless, consent: { marketing: true } });
    const outcomes = await sync([named, bare], { subscribers: false });
    expect(outcomes.get(named.id)).toEqual({ status: 'created', customerId: expect.any(Number) });
    expect(outcomes.get(bare.id)).toMatchObject({ status: 'rejected', rejection: { code: 'subscribers-disabled' } });
    expect(sandbox.subscribers()).toEqual([]);
  });
});

describe('the subscriber failure table', () => {
  it('409 for a subscriber that already consents: subscribed, no second POST, no PUT', async () => {
    sandbox.seedSubscribers([{ email: 'known@example.com', consents: ['marketing_newsletter'] }]);
    const item = message({ email: 'known@example.com', ...nameless, consent: { marketing: true } });

    const outcome = (await sync([item])).get(item.id);

    expect(outcome).toEqual({ status: 'subscribed', subscriberId: 1 });
    expect(requests('POST', '/customers/subscribers')).toBe(1);
    expect(requests('PUT', '/customers/subscribers/1')).toBe(0);
    expect(sandbox.subscribers()).toHaveLength(1);
  });

  it('409 for a subscriber without the consent: resubscribed after one PUT that keeps its other consents', async () => {
    sandbox.seedSubscribers([{ email: 'lapsed@example.com', consents: ['abandoned_cart'] }]);
    const item = message({ email: 'lapsed@example.com', consent: { marketing: true } });

    const outcome = (await sync([item])).get(item.id);

    expect(outcome).toMatchObject({ status: 'created', subscriber: { status: 'resubscribed', subscriberId: 1 } });
    expect(requests('POST', '/customers/subscribers')).toBe(1);
    expect(requests('PUT', '/customers/subscribers/1')).toBe(1);
    expect(subscriberOf('lapsed@example.com')?.consents).toEqual(['abandoned_cart', 'marketing_newsletter']);
  });

  it.each(['created-then-500', 502, 'hang', 'reset'] as const)('a %s on the subscriber POST leads to a lookup and no duplicate', async (fault) => {
    sandbox.setFaults({ script: [fault], methods: ['POST'] });
    const item = message({ email: 'flaky@example.com', ...nameless, consent: { marketing: true } });

    const outcome = (await sync([item])).get(item.id);

    expect(outcome).toMatchObject({ status: 'subscribed' });
    expect(sandbox.subscribers().map((subscriber) => subscriber.email)).toEqual(['flaky@example.com']);
    const log = sandbox.stats().log.map((entry) => `${entry.method} ${entry.status}`);
    // Looked up between the failed POST and anything after it.
    expect(log[1]).toBe('GET 200');
  });

  it('422 rejects the message with BigCommerce reason', async () => {
    const item = message({ email: 'elsewhere@example.com', ...nameless, consent: { marketing: true } });
    const outcome = (await sync([item], { customer: { ...DEFAULT_CUSTOMER_OPTIONS, channelIds: [9] } })).get(item.id);
    expect(outcome).toEqual({ status: 'rejected', rejection: { code: 'subscriber-rejected', httpStatus: 422, detail: expect.stringMatching(/channel/) } });
  });

  it('429 waits for the quota and then writes once', async () => {
    sandbox.setFaults({ script: [429], methods: ['POST'] });
    const item = message({ email: 'busy@example.com', ...nameless, consent: { marketing: true } });
    expect((await sync([item])).get(item.id)).toMatchObject({ status: 'subscribed' });
    expect(sandbox.subscribers()).toHaveLength(1);
  });

  it('an outage that outlasts the retries defers the message (not done), and the redelivery finishes it', async () => {
    sandbox.setFaults({ script: ['none', 503, 503, 503, 503], methods: ['POST'] });
    const item = message({ email: 'later@example.com', consent: { marketing: true } });
    // The customer POST goes through; the subscriber POST fails more often than the engine retries.
    const first = (await sync([item])).get(item.id);
    const second = (await sync([item])).get(item.id);
    expect(first).toMatchObject({ status: 'deferred', reason: 'bigcommerce-unavailable' });
    expect(second).toMatchObject({ status: 'existed', subscriber: { status: 'subscribed' } });
    expect(sandbox.customers()).toHaveLength(1);
    expect(sandbox.subscribers()).toHaveLength(1);
  });

  it('a subscription older than the withdrawal of the consent (a late or repeated delivery) is superseded: no PUT', async () => {
    sandbox.seedSubscribers([{ email: 'withdrawn@example.com', consents: [] }]);
    const late = message({
      email: 'withdrawn@example.com',
      ...nameless,
      consent: { marketing: true },
      occurred_at: new Date(Date.now() - 3_600_000).toISOString(),
    });

    const outcome = (await sync([late])).get(late.id);

    expect(outcome).toEqual({ status: 'superseded', subscriberId: 1 });
    expect(requests('PUT', '/customers/subscribers/1')).toBe(0);
    expect(subscriberOf('withdrawn@example.com')?.consents).toEqual([]);
  });
});

describe('opt-outs', () => {
  it('withdraws marketing_newsletter from an existing subscriber and keeps its other consents', async () => {
    sandbox.seedSubscribers([{ email: 'leaving@example.com', consents: ['marketing_newsletter', 'abandoned_cart'] }]);
    const item = message({ email: 'leaving@example.com', ...nameless, opt_out: true });

    const outcome = (await sync([item])).get(item.id);

    expect(outcome).toEqual({ status: 'unsubscribed', subscriberId: 1 });
    expect(subscriberOf('leaving@example.com')?.consents).toEqual(['abandoned_cart']);
  });

  it('an opt-out for an email with no subscriber is done without a write', async () => {
    const item = message({ email: 'stranger@example.com', ...nameless, opt_out: true });
    expect((await sync([item])).get(item.id)).toEqual({ status: 'not-subscribed' });
    expect(requests('PUT', '')).toBe(0);
    expect(requests('POST', '')).toBe(0);
  });

  it('subscribe then unsubscribe in one batch ends unsubscribed; the reverse ends subscribed', async () => {
    const subscribe = message({ email: 'flip@example.com', consent: { marketing: true }, occurred_at: '2026-11-01T10:00:00Z' });
    const unsubscribe = message({ email: 'flip@example.com', ...nameless, opt_out: true, occurred_at: '2026-11-01T10:05:00Z' });
    const resubscribe = message({ email: 'flop@example.com', ...nameless, consent: { marketing: true }, occurred_at: '2026-11-01T11:00:00Z' });
    const earlierOptOut = message({ email: 'flop@example.com', ...nameless, opt_out: true, occurred_at: '2026-11-01T09:00:00Z' });

    // Received in the opposite order to what happened for flop@: occurred_at decides.
    const outcomes = await sync([unsubscribe, subscribe, resubscribe, earlierOptOut]);

    expect(outcomes.get(subscribe.id)).toMatchObject({ status: 'created', subscriber: { status: expect.stringMatching(/unsubscribed|not-subscribed/) } });
    expect(outcomes.get(unsubscribe.id)).toEqual(outcomes.get(subscribe.id));
    expect(subscriberOf('flip@example.com')?.consents ?? []).not.toContain('marketing_newsletter');
    expect(subscriberOf('flop@example.com')?.consents).toEqual(['marketing_newsletter']);
    expect(sandbox.customers().map((customer) => customer.email)).toEqual(['flip@example.com']);
  });
});

describe('message schema versions', () => {
  it('decodes a version 1 message (names required then), a version 2 opt-out, a version 3 with placeholder marks and a version 4 with evidence; refuses an opt-out with names', () => {
    const v1 = { ...aSignupMessage({ email: 'old@example.com' }), schema_version: 1 };
    const v2 = { ...aSignupMessage(), schema_version: 2, signup: { email: 'out@example.com', opt_out: true } };
    const v3 = { ...aSignupMessage({ email: 'new@example.com', first_name: 'Newsletter' }), schema_version: 3, placeholder_names: ['first_name'] };
    const bad = { ...aSignupMessage(), schema_version: 2, signup: { email: 'out@example.com', opt_out: true, first_name: 'Ada' } };
    const v4 = {
      ...v3,
      schema_version: 4,
      evidence: { page: 'https://shop.example/newsletter', ip: '203.0.113.9' },
      source: { id: 'form', kind: 'html-form', double_opt_in: 'everything' },
    };
    const future = { ...v1, schema_version: 5 };
    const badMark = { ...v3, placeholder_names: ['email'] };

    expect(decodeSignupMessage(JSON.stringify(v1))).toMatchObject({ ok: true, message: { schema_version: 1, signup: { first_name: 'Ada' } } });
    expect(decodeSignupMessage(JSON.stringify(v2))).toMatchObject({ ok: true, message: { signup: { opt_out: true } } });
    expect(decodeSignupMessage(JSON.stringify(v3))).toMatchObject({ ok: true, message: { schema_version: 3, placeholder_names: ['first_name'] } });
    expect(decodeSignupMessage(JSON.stringify(v4))).toMatchObject({
      ok: true,
      message: { evidence: { page: 'https://shop.example/newsletter' }, source: { double_opt_in: 'everything' } },
    });
    expect(decodeSignupMessage(JSON.stringify({ ...v4, evidence: { page: 'x'.repeat(501) } }))).toMatchObject({ ok: false });
    expect(decodeSignupMessage(JSON.stringify(badMark))).toMatchObject({ ok: false });
    expect(decodeSignupMessage(JSON.stringify(bad))).toMatchObject({
      ok: false,
      rejection: { code: 'invalid-message', detail: expect.stringMatching(/first_name: An opt-out carries only/) },
    });
    expect(decodeSignupMessage(JSON.stringify(future))).toMatchObject({ ok: false });
  });
});
