import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { duplicatesIn, emailsOf, syncHarness } from '../../helpers/sync-harness';

/** The design's failure table, row by row, against the real sandbox over HTTP. */
let sandbox: BigCommerceSandbox;
let harness: ReturnType<typeof syncHarness>;

beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ rateLimit: false, seed: 7 });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  sandbox.setOptions({ rateLimit: false, batch422: 'atomic', vague422: false, rejectEmails: undefined as never });
});
afterEach(() => harness?.restore());

const batch = (size: number, prefix = 'person') =>
  Array.from({ length: size }, (_, index) => anSqsRecord(aSignupMessage({ email: `${prefix}${index}-${Math.random().toString(36).slice(2, 8)}@example.com` })));
const emailOf = (record: { body: string }) => (JSON.parse(record.body) as { signup: { email: string } }).signup.email;

describe.each([
  ['atomic', false],
  ['partial', false],
  ['atomic', true],
  ['partial', true],
] as const)('with %s 422 batches (vague errors: %s)', (batch422, vague422) => {
  beforeEach(() => sandbox.setOptions({ batch422, vague422 }));

  it('200: creates ten customers with exactly one request', async () => {
    harness = syncHarness(sandbox);
    const records = batch(10);
    expect(await harness.invoke(records)).toEqual([]);
    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    expect(sandbox.stats().apiRequests).toBe(1);
  });

  it('422 for one bad record: only that record is rejected, with BigCommerce’s message, the rest are created once', async () => {
    sandbox.setOptions({ rejectEmails: /^refused/ });
    harness = syncHarness(sandbox);
    const records = [...batch(9), anSqsRecord(aSignupMessage({ email: 'refused-1@example.com' }))];
    const shuffled = [records[3]!, records[9]!, ...records.filter((_, index) => index !== 3 && index !== 9)];

    expect(await harness.invoke(shuffled)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.slice(0, 9).map(emailOf).sort());
    expect(duplicatesIn(emailsOf(sandbox))).toEqual([]);
    expect(harness.deadLetters).toHaveLength(1);
    const [dead] = harness.deadLetters;
    expect(dead!.Id).toBe(records[9]!.messageId);
    expect(dead!.MessageBody).toBe(records[9]!.body);
    expect(dead!.MessageAttributes?.RejectionCode?.StringValue).toBe('bigcommerce-rejected');
    expect(dead!.MessageAttributes?.RejectionHttpStatus?.StringValue).toBe('422');
    expect(dead!.MessageAttributes?.RejectionDetail?.StringValue).toMatch(/\S/);
    // Isolation by the named index costs a lookup and two re-sends; by halves, about two requests per level.
    expect(sandbox.stats().apiRequests).toBeLessThanOrEqual(vague422 ? 14 : 6);
  });

  it('422 "already in use": existing customers are settled as existed, the others created, nothing rejected', async () => {
    const records = batch(10);
    sandbox.seedCustomers(records.slice(0, 3).map((record) => ({ email: emailOf(record), first_name: 'Old', last_name: 'Customer' })));
    harness = syncHarness(sandbox);

    expect(await harness.invoke(records)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    expect(harness.deadLetters).toHaveLength(0);
    expect(sandbox.customers().filter((customer) => customer.first_name === 'Old')).toHaveLength(3);
  });

  it('422 with several bad and several existing records in one batch', async () => {
    sandbox.setOptions({ rejectEmails: /^refused/ });
    const good = batch(5);
    const existing = batch(2, 'existing');
    const bad = [1, 2, 3].map((n) => anSqsRecord(aSignupMessage({ email: `refused-${n}@example.com` })));
    sandbox.seedCustomers(existing.map((record) => ({ email: emailOf(record), first_name: 'Old', last_name: 'Customer' })));
    harness = syncHarness(sandbox);

    expect(await harness.invoke([bad[0]!, ...good.slice(0, 2), existing[0]!, bad[1]!, ...good.slice(2), existing[1]!, bad[2]!])).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual([...good, ...existing].map(emailOf).sort());
    expect(harness.deadLetters.map((entry) => entry.Id).sort()).toEqual(bad.map((record) => record.messageId).sort());
  });
});

describe('413', () => {
  it('splits the batch and sends the halves, creating each customer once', async () => {
    sandbox.setFaults({ script: [413] });
    harness = syncHarness(sandbox);
    const records = batch(10);

    expect(await harness.invoke(records)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    expect(harness.exchanges.map((exchange) => exchange.status)).toEqual([413, 200, 200]);
    expect(
      sandbox
        .stats()
        .log.filter((entry) => entry.status === 200)
        .map((entry) => entry.items),
    ).toEqual([5, 5]);
  });

  it('rejects a single customer BigCommerce finds too large on its own', async () => {
    sandbox.setFaults({ script: [413] });
    harness = syncHarness(sandbox);
    const [record] = batch(1);
    expect(await harness.invoke([record!])).toEqual([]);
    expect(harness.deadLetters.map((entry) => [entry.Id, entry.MessageAttributes?.RejectionHttpStatus?.StringValue])).toEqual([[record!.messageId, '413']]);
  });
});

describe('5xx, timeouts and connection resets', () => {
  it.each([[500], [502], [503], [504], ['reset']] as const)('%s: looks the emails up before re-sending, then creates each once', async (fault) => {
    sandbox.setFaults({ script: [fault] });
    harness = syncHarness(sandbox);
    const records = batch(10);

    expect(await harness.invoke(records)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    const methods = harness.exchanges.map((exchange) => exchange.method);
    expect(methods).toEqual(['POST', 'GET', 'POST']);
  });

  it('"created but answered 500": finds the customers instead of creating them twice', async () => {
    sandbox.setFaults({ script: ['created-then-500'] });
    harness = syncHarness(sandbox);
    const records = batch(10);

    expect(await harness.invoke(records)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    expect(harness.exchanges.map((exchange) => exchange.method)).toEqual(['POST', 'GET']);
    expect(harness.deadLetters).toHaveLength(0);
  });

  it('a hanging request times out, is reconciled and re-sent once', async () => {
    sandbox.setFaults({ script: ['hang'] });
    harness = syncHarness(sandbox, { requestTimeoutMs: 300 });
    const records = batch(4);

    expect(await harness.invoke(records)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    expect(harness.exchanges.map((exchange) => exchange.status)).toEqual([undefined, 200, 200]);
  });

  it('defers (not rejects) everything when BigCommerce keeps failing, and settles on redelivery', async () => {
    sandbox.setFaults({ script: [503, 503, 503, 503, 503, 503] });
    harness = syncHarness(sandbox);
    const records = batch(3);

    const retry = await harness.invoke(records);
    expect(retry.sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(harness.deadLetters).toHaveLength(0);

    expect(await harness.settle(records)).toEqual({ rounds: 1, unsettled: [] });
    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
  });

  it('defers rather than start a request it has no time for', async () => {
    harness = syncHarness(sandbox);
    const records = batch(2);
    expect((await harness.invoke(records, 250)).sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(sandbox.stats().apiRequests).toBe(0);
  });
});

describe('429 and the quota', () => {
  it('waits for the reset the headers announce, sending nothing before it', async () => {
    // Standard quota, time scaled: a 30 s window lasts 300 ms.
    sandbox.setOptions({ rateLimit: { quota: 150, windowMs: 30_000 }, timeScale: 0.01 });
    sandbox.setFaults({ script: [429, 429, 429] });
    harness = syncHarness(sandbox);
    const records = batch(10);

    expect(await harness.invoke(records)).toEqual([]);

    expect(emailsOf(sandbox).sort()).toEqual(records.map(emailOf).sort());
    const { exchanges } = harness;
    expect(exchanges.map((exchange) => exchange.status)).toEqual([429, 429, 429, 200]);
    for (let i = 1; i < exchanges.length; i += 1) {
      const previous = exchanges[i - 1]!;
      const wait = Math.max(previous.resetMs ?? 0, previous.retryAfterMs ?? 0);
      expect(exchanges[i]!.sentAt).toBeGreaterThanOrEqual(previous.answeredAt + wait);
    }
  });

  it('slows down before the quota runs out instead of hitting a 429', async () => {
    sandbox.setOptions({ rateLimit: { quota: 3, windowMs: 30_000 }, timeScale: 0.01 });
    harness = syncHarness(sandbox);
    for (let round = 0; round < 4; round += 1) expect(await harness.invoke(batch(10))).toEqual([]);
    expect(sandbox.stats().rateLimited).toBe(0);
    expect(sandbox.customers()).toHaveLength(40);
  });

  it('defers with the messages invisible until the reset when it cannot wait', async () => {
    sandbox.setOptions({ rateLimit: { quota: 1, windowMs: 30_000 }, timeScale: 1 });
    harness = syncHarness(sandbox);
    expect(await harness.invoke(batch(1))).toEqual([]);
    const records = batch(3);

    const retry = await harness.invoke(records, 5_000);

    expect(retry.sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(harness.visibility.map((entry) => entry.id).sort()).toEqual(retry.sort());
    expect(Math.min(...harness.visibility.map((entry) => entry.seconds))).toBeGreaterThanOrEqual(25);
    expect(sandbox.stats().apiRequests).toBe(1);
  });
});

describe('401 / 403', () => {
  it('a revoked-then-rotated token: re-reads the secret once and goes on', async () => {
    let secret = 'old-token';
    sandbox.setTokens(['old-token']);
    harness = syncHarness(sandbox, { secretToken: () => secret });
    expect(await harness.invoke(batch(5))).toEqual([]);
    // Rotation: BigCommerce stops accepting the cached token; the secret now holds the new one.
    sandbox.setTokens(['new-token']);
    secret = 'new-token';

    expect(await harness.invoke(batch(5))).toEqual([]);

    expect(harness.exchanges.map((exchange) => exchange.status)).toEqual([200, 401, 200]);
    expect(emailsOf(sandbox)).toHaveLength(10);
  });

  it('a revoked token: every message deferred, none rejected, none created', async () => {
    sandbox.setTokens(['only-the-real-one']);
    harness = syncHarness(sandbox, { secretToken: () => 'revoked' });
    const records = batch(6);

    const retry = await harness.invoke(records);

    expect(retry.sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(harness.deadLetters).toHaveLength(0);
    expect(sandbox.customers()).toHaveLength(0);
    expect(harness.exchanges.map((exchange) => exchange.status)).toEqual([401, 401]);
  });

  it('a one-off 401 is retried after one refresh', async () => {
    sandbox.setFaults({ script: ['revoked-401'] });
    harness = syncHarness(sandbox);
    const records = batch(10);
    expect(await harness.invoke(records)).toEqual([]);
    expect(harness.exchanges.map((exchange) => exchange.status)).toEqual([401, 200]);
    expect(emailsOf(sandbox)).toHaveLength(10);
  });
});

describe('conflict policy update', () => {
  it('updates existing customers with one batch PUT', async () => {
    const records = batch(6);
    // Last changed before the signups happened, so they win (test/unit/sync-engine/safe-updates.test.ts).
    sandbox.seedCustomers(
      records.slice(0, 4).map((record) => ({ email: emailOf(record), first_name: 'Old', last_name: 'Name', date_modified: '2020-01-01T00:00:00Z' })),
    );
    harness = syncHarness(sandbox, { conflictPolicy: 'update' });

    expect(await harness.invoke(records)).toEqual([]);

    expect(sandbox.customers().filter((customer) => customer.first_name === 'Old')).toHaveLength(0);
    expect(sandbox.customers()).toHaveLength(6);
    expect(harness.exchanges.map((exchange) => exchange.method)).toEqual(['POST', 'GET', 'POST', 'PUT']);
  });
});

describe('custom fields', () => {
  it('maps a named custom field to the attribute id, looked up once', async () => {
    const [attribute] = sandbox.seedAttributes([{ name: 'favourite_colour', type: 'string' }]);
    harness = syncHarness(sandbox, { customFieldMap: { 'Favourite colour': { attribute: 'favourite_colour' } } });
    const withField = () =>
      anSqsRecord(
        aSignupMessage({
          custom_fields: [
            { name: 'Favourite colour', value: 'green' },
            { name: 'Unmapped', value: 'kept in notes' },
          ],
        }),
      );

    expect(await harness.invoke([withField(), withField()])).toEqual([]);
    expect(await harness.invoke([withField()])).toEqual([]);

    const customer = sandbox.customers()[0]!;
    expect(customer.attributes?.[0]).toMatchObject({ attribute_id: attribute!.id, attribute_value: 'green' });
    expect(customer.notes).toContain('Unmapped: kept in notes');
    expect(harness.exchanges.filter((exchange) => exchange.method === 'GET')).toHaveLength(1);
  });

  it('defers everything, reporting a configuration error, when a mapped attribute does not exist', async () => {
    harness = syncHarness(sandbox, { customFieldMap: { Colour: { attribute: 'missing_attribute' } } });
    const records = batch(2);
    expect((await harness.invoke(records)).sort()).toEqual(records.map((record) => record.messageId).sort());
    expect(sandbox.customers()).toHaveLength(0);
    expect(harness.deadLetters).toHaveLength(0);
  });
});
