import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { BigCommerceClient } from '../../../shared/bigcommerce/client';
import type { SignupMessage } from '../../../shared/signup/signup-schema';
import { DEFAULT_CUSTOMER_OPTIONS } from '../../../shared/sync/customer-mapping';
import { createQuotaPacer } from '../../../shared/sync/quota-pacer';
import { messageEventTime, signupIsNewer } from '../../../shared/sync/safe-update';
import { syncSignups } from '../../../shared/sync/sync-engine';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { type ExchangeRecord, syncHarness } from '../../helpers/sync-harness';
import { call } from '../bigcommerce-sandbox/sandbox-http';

/**
 * Conflict policy `update` made safe (docs/sync-semantics.md#conflict-policy), against the real sandbox:
 * an update leaves group and channels alone, an older signup does not overwrite a newer customer, a
 * deferred PUT is retried rather than acknowledged, the PUT carries only `customer_Put` fields, and no
 * more than 3 PUTs are ever in flight.
 */

/** The properties of BigCommerce's `customer_Put` schema (reference/customers.v3.yml in bigcommerce/docs). */
const CUSTOMER_PUT_FIELDS = new Set([
  'id',
  'email',
  'first_name',
  'last_name',
  'company',
  'phone',
  'registration_ip_address',
  'notes',
  'tax_exempt_category',
  'customer_group_id',
  'authentication',
  'accepts_product_review_abandoned_cart_emails',
  'store_credit_amounts',
  'origin_channel_id',
  'channel_ids',
  'form_fields',
]);

const LONG_AGO = '2020-01-01T00:00:00Z';
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

let sandbox: BigCommerceSandbox;
let harness: ReturnType<typeof syncHarness> | undefined;

beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ rateLimit: false, channels: [1, 2], seed: 14 });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());
afterEach(() => {
  harness?.restore();
  harness = undefined;
});

const uniqueEmail = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}@example.com`;
const customerWith = (email: string) => sandbox.customers().find((customer) => customer.email === email);
const puts = (exchanges: readonly ExchangeRecord[]) => exchanges.filter((exchange) => exchange.method === 'PUT');

/** The most PUTs whose request and answer overlapped in time. */
function maxPutsInFlight(exchanges: readonly ExchangeRecord[]): number {
  const edges = puts(exchanges).flatMap((exchange) => [
    { at: exchange.sentAt, delta: 1 },
    { at: exchange.answeredAt, delta: -1 },
  ]);
  // Ends before starts at the same millisecond: touching is not overlapping.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const edge of edges) {
    current += edge.delta;
    most = Math.max(most, current);
  }
  return most;
}

describe('an update never changes the customer group or channels', () => {
  it('updates names, company and phone, and keeps the group and channels the customer has', async () => {
    // Arrange: the signup's source would put a new customer in group 9 on channels 1 and 2.
    const email = uniqueEmail('grouped');
    sandbox.seedCustomers([{ email, first_name: 'Old', last_name: 'Name', customer_group_id: 5, channel_ids: [1], date_modified: LONG_AGO }]);
    const message = aSignupMessage(
      { email, first_name: 'New', last_name: 'Person', company: 'Acme', phone: '+44 20 7946 0000' },
      { source: { id: 'shop', kind: 'shopify', customer_defaults: { customer_group_id: 9, channel_ids: [1, 2] } } },
    );
    harness = syncHarness(sandbox, { conflictPolicy: 'update' });

    // Act
    expect(await harness.invoke([anSqsRecord(message)])).toEqual([]);

    // Assert
    expect(customerWith(email)).toMatchObject({
      first_name: 'New',
      last_name: 'Person',
      company: 'Acme',
      phone: '+44 20 7946 0000',
      customer_group_id: 5,
      channel_ids: [1],
    });
    expect(sandbox.customers()).toHaveLength(1);
  });
});

describe('last writer wins by event time', () => {
  it('leaves a customer changed after the signup happened as it is, and updates one changed before', async () => {
    // Arrange: both signups happened two hours ago (occurred_at); one customer changed an hour ago, one three.
    const newer = uniqueEmail('newer');
    const older = uniqueEmail('older');
    sandbox.seedCustomers([
      { email: newer, first_name: 'Kept', last_name: 'Name', date_modified: hoursAgo(1) },
      { email: older, first_name: 'Stale', last_name: 'Name', date_modified: hoursAgo(3) },
    ]);
    const late = (email: string) => anSqsRecord(aSignupMessage({ email, first_name: 'Late', last_name: 'Delivery', occurred_at: hoursAgo(2) }));
    const [toNewer, toOlder] = [late(newer), late(older)];
    harness = syncHarness(sandbox, { conflictPolicy: 'update' });

    // Act
    expect(await harness.invoke([toNewer, toOlder])).toEqual([]);

    // Assert: one PUT, for the customer last changed before the signup.
    expect(customerWith(newer)).toMatchObject({ first_name: 'Kept', last_name: 'Name' });
    expect(customerWith(older)).toMatchObject({ first_name: 'Late', last_name: 'Delivery' });
    expect(puts(harness.exchanges)).toHaveLength(1);
    expect(harness.deadLetters).toHaveLength(0);
  });

  it('uses the receive time when the signup has no occurred_at, and never a time after the receipt', async () => {
    // Arrange: received two hours ago; one claims to have happened tomorrow. The customer changed an hour ago.
    const email = uniqueEmail('future');
    sandbox.seedCustomers([{ email, first_name: 'Kept', last_name: 'Name', date_modified: hoursAgo(1) }]);
    const receivedAt = hoursAgo(2);
    const plain = aSignupMessage({ email, first_name: 'Plain' }, { received_at: receivedAt });
    const claimsFuture = aSignupMessage(
      { email, first_name: 'Future', occurred_at: new Date(Date.now() + 86_400_000).toISOString() },
      { received_at: receivedAt },
    );
    harness = syncHarness(sandbox, { conflictPolicy: 'update' });

    // Act
    expect(await harness.invoke([anSqsRecord(plain)])).toEqual([]);
    expect(await harness.invoke([anSqsRecord(claimsFuture)])).toEqual([]);

    // Assert
    expect(messageEventTime(claimsFuture)).toBe(Date.parse(receivedAt));
    expect(customerWith(email)).toMatchObject({ first_name: 'Kept' });
    expect(puts(harness.exchanges)).toHaveLength(0);
  });

  it('compares by whole seconds, and without a date_modified overwrites nothing', () => {
    expect(signupIsNewer(Date.parse('2026-01-01T10:00:01.000Z'), '2026-01-01T10:00:00Z')).toBe(true);
    expect(signupIsNewer(Date.parse('2026-01-01T10:00:00.900Z'), '2026-01-01T10:00:00Z')).toBe(false);
    expect(signupIsNewer(Date.parse('2026-01-01T09:00:00Z'), '2026-01-01T10:00:00Z')).toBe(false);
    expect(signupIsNewer(Date.now(), undefined)).toBe(false);
    expect(signupIsNewer(Date.now(), 'not a date')).toBe(false);
  });
});

describe('a deferred PUT is retried, never acknowledged', () => {
  it.each([
    ['429 with no time left to wait', { script: [429] }, { remainingMs: 1_000 }],
    ['401 twice (after the token re-read)', { script: ['revoked-401', 'revoked-401'] }, {}],
    ['time out on every attempt', { script: ['hang', 'hang', 'hang', 'hang'] }, { requestTimeoutMs: 150 }],
  ] as const)('%s: the message comes back, and its next delivery updates the customer once', async (_name, faults, options) => {
    // Arrange
    const email = uniqueEmail('deferred');
    sandbox.seedCustomers([{ email, first_name: 'Old', last_name: 'Name', date_modified: LONG_AGO }]);
    const record = anSqsRecord(aSignupMessage({ email, first_name: 'New', last_name: 'Name' }));
    sandbox.setFaults({ methods: ['PUT'], script: [...faults.script] });
    harness = syncHarness(sandbox, { conflictPolicy: 'update', ...('requestTimeoutMs' in options ? { requestTimeoutMs: options.requestTimeoutMs } : {}) });

    // Act
    const first = await harness.invoke([record], 'remainingMs' in options ? options.remainingMs : undefined);
    const unchanged = customerWith(email);
    const second = await harness.invoke([record]);

    // Assert: deferred (not acknowledged, not dead-lettered), then done; one customer throughout.
    expect(first).toEqual([record.messageId]);
    expect(unchanged).toMatchObject({ first_name: 'Old' });
    expect(second).toEqual([]);
    expect(customerWith(email)).toMatchObject({ first_name: 'New' });
    expect(sandbox.customers()).toHaveLength(1);
    expect(harness.deadLetters).toHaveLength(0);
  });
});

describe('the PUT carries only customer_Put fields', () => {
  it('sends no attributes, group or channels, and leaves attribute values as they are', async () => {
    // Arrange: a mapped attribute, a source group and channels; the engine over the real client and sandbox.
    const [tier] = sandbox.seedAttributes([{ name: 'tier', type: 'string' }]);
    const email = uniqueEmail('fields');
    sandbox.seedCustomers([
      {
        email,
        first_name: 'Old',
        last_name: 'Name',
        date_modified: LONG_AGO,
        attributes: [{ attribute_id: tier!.id, attribute_value: 'gold', id: 1, customer_id: 0, date_created: LONG_AGO, date_modified: LONG_AGO }],
      },
    ]);
    const bodies: { method: string; body: unknown }[] = [];
    const capturingFetch: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string') bodies.push({ method: init.method ?? 'GET', body: JSON.parse(init.body) });
      return fetch(input, init);
    };
    const client = new BigCommerceClient({
      apiUrl: sandbox.url,
      storeHash: sandbox.storeHash,
      tokens: { get: async () => sandbox.token, refresh: async () => sandbox.token },
      timeoutMs: 2_000,
      fetch: capturingFetch,
    });
    const message: SignupMessage = aSignupMessage(
      { email, first_name: 'New', last_name: 'Name', company: 'Acme', phone: '123', notes: 'hello', custom_fields: [{ name: 'Tier', value: 'silver' }] },
      { source: { id: 'shop', kind: 'shopify', customer_defaults: { customer_group_id: 3, channel_ids: [1] } } },
    );

    // Act
    const outcomes = await syncSignups(
      [{ id: 'm1', message }],
      { api: client, pacer: createQuotaPacer(), remainingTimeMs: () => 30_000 },
      {
        conflictPolicy: 'update',
        customer: { ...DEFAULT_CUSTOMER_OPTIONS, customFieldMap: { Tier: { attribute: 'tier' } } },
        attributeIds: new Map([['tier', tier!.id]]),
        requestTimeoutMs: 2_000,
      },
    );

    // Assert
    expect(outcomes.get('m1')).toMatchObject({ status: 'updated' });
    const putItems = bodies.filter((sent) => sent.method === 'PUT').flatMap((sent) => sent.body as Record<string, unknown>[]);
    expect(putItems).toHaveLength(1);
    for (const item of putItems) expect(Object.keys(item).filter((key) => !CUSTOMER_PUT_FIELDS.has(key))).toEqual([]);
    expect(putItems[0]).toEqual({ id: customerWith(email)!.id, first_name: 'New', last_name: 'Name', company: 'Acme', phone: '123' });
    expect(customerWith(email)!.attributes).toEqual([expect.objectContaining({ attribute_id: tier!.id, attribute_value: 'gold' })]);
  });

  it('the sandbox, like BigCommerce, does not change attribute values through PUT /customers', async () => {
    // Arrange
    const [tier] = sandbox.seedAttributes([{ name: 'tier', type: 'string' }]);
    const [customer] = sandbox.seedCustomers([
      {
        email: uniqueEmail('attr'),
        attributes: [{ attribute_id: tier!.id, attribute_value: 'gold', id: 1, customer_id: 0, date_created: LONG_AGO, date_modified: LONG_AGO }],
      },
    ]);

    // Act
    const response = await call(sandbox, 'PUT', '/customers', {
      body: [{ id: customer!.id, first_name: 'Renamed', attributes: [{ attribute_id: tier!.id, attribute_value: 'silver' }] }],
    });

    // Assert
    expect(response.status).toBe(200);
    expect(sandbox.customers()[0]).toMatchObject({ first_name: 'Renamed', attributes: [expect.objectContaining({ attribute_value: 'gold' })] });
  });
});

describe('at most 3 PUTs in flight', () => {
  it('the sandbox answers a fourth concurrent PUT /customers with 429', async () => {
    // Arrange: every answer takes 200 ms, so four PUTs sent together overlap.
    const seeded = sandbox.seedCustomers(Array.from({ length: 4 }, (_, index) => ({ email: uniqueEmail(`c${index}`) })));
    sandbox.setFaults({ latencyMs: 200 });

    // Act
    const answers = await Promise.all(seeded.map((customer) => call(sandbox, 'PUT', '/customers', { body: [{ id: customer.id, first_name: 'Same' }] })));

    // Assert
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 429]);
  });

  it('one invocation sends its PUTs one at a time, so 3 concurrent invocations never meet the limit', async () => {
    // Arrange: 4 batches of 12 existing customers (2 PUTs each), 30 ms per answer.
    const batches = Array.from({ length: 4 }, (_, batch) =>
      Array.from({ length: 12 }, (_, index) => anSqsRecord(aSignupMessage({ email: uniqueEmail(`b${batch}-${index}`), first_name: 'Updated' }))),
    );
    const emails = batches.flat().map((record) => (JSON.parse(record.body) as SignupMessage).signup.email);
    sandbox.seedCustomers(emails.map((email) => ({ email, first_name: 'Old', date_modified: LONG_AGO })));
    sandbox.setFaults({ latencyMs: 30 });
    harness = syncHarness(sandbox, { conflictPolicy: 'update', maxConcurrency: 3 });

    // Act: one invocation alone, then three at once.
    expect(await harness.invoke(batches[3]!)).toEqual([]);
    const alone = maxPutsInFlight(harness.exchanges);
    const together = await Promise.all(batches.slice(0, 3).map((records) => harness!.invoke(records)));

    // Assert
    expect(alone).toBe(1);
    expect(together).toEqual([[], [], []]);
    expect(puts(harness.exchanges).every((exchange) => exchange.status === 200)).toBe(true);
    expect(maxPutsInFlight(harness.exchanges)).toBeLessThanOrEqual(3);
    expect(sandbox.customers().filter((customer) => customer.first_name !== 'Updated')).toEqual([]);
  });
});
