import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { deleteFromStore, findPersonInStore } from '../../../ops/bigcommerce-erasure';
import { letterHoldsPerson } from '../../../ops/forget';
import { deriveConsentKeys } from '../../../shared/consent/consent-keys';

/**
 * `signup-sync forget` (docs/privacy.md): which dead letters hold a person, and the one place the
 * product deletes in BigCommerce: found by email, deleted by id, never a collection DELETE without ids
 * (the sandbox refuses such a DELETE of subscribers the way BigCommerce would delete them all).
 */

const keys = deriveConsentKeys('forget-test-hash-key-0123456789abcdef');

describe('which dead letters hold a person', () => {
  const person = keys.personOf('ada@example.com');

  it('finds a signup message, an unmappable delivery (candidate or raw body, JSON or form-encoded) and a confirmation', () => {
    const signup = JSON.stringify({ signup: { email: 'ADA@example.com', first_name: 'Ada' } });
    const unmappableJson = JSON.stringify({
      kind: 'unmappable-delivery',
      candidate: {},
      request: { body_base64: Buffer.from('{"E-mail":"Ada@Example.com"}').toString('base64') },
    });
    const unmappableForm = JSON.stringify({
      kind: 'unmappable-delivery',
      candidate: {},
      request: { body_base64: Buffer.from('data%5Bemail%5D=ada%40example.com&x=1').toString('base64') },
    });
    const confirmation = JSON.stringify({ kind: 'confirmation', confirmation: { person, nonce: 'n' } });
    for (const body of [signup, unmappableJson, unmappableForm, confirmation]) expect(letterHoldsPerson(body, 'ada@example.com', person)).toBe(true);
  });

  it("leaves other people's letters alone", () => {
    const other = JSON.stringify({
      signup: { email: 'grace@example.com' },
      request: { body_base64: Buffer.from('email=grace%40example.com').toString('base64') },
    });
    const otherConfirmation = JSON.stringify({ kind: 'confirmation', confirmation: { person: keys.personOf('grace@example.com'), nonce: 'n' } });
    expect(letterHoldsPerson(other, 'ada@example.com', person)).toBe(false);
    expect(letterHoldsPerson(otherConfirmation, 'ada@example.com', person)).toBe(false);
    expect(letterHoldsPerson('not json', 'ada@example.com', person)).toBe(false);
  });
});

describe('forget --bigcommerce against the sandbox', () => {
  let sandbox: BigCommerceSandbox;
  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: false, channels: [1, 2] });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  it('deletes exactly the customers and subscribers of that email, by id, and nothing else', async () => {
    // Arrange: Ada in two channels, a subscriber, and other people
    sandbox.seedCustomers([{ email: 'ada@example.com', channel_ids: [1] }, { email: 'ada@example.com', channel_ids: [2] }, { email: 'grace@example.com' }]);
    sandbox.seedSubscribers([{ email: 'ada@example.com' }, { email: 'grace@example.com' }, { email: 'ada.lovelace@example.com' }]);
    const store = { apiUrl: sandbox.url, storeHash: sandbox.storeHash, token: sandbox.token };

    // Act
    const found = await findPersonInStore(store, ' Ada@Example.com ');
    const deleted = await deleteFromStore(store, found);

    // Assert
    expect(found.customers).toHaveLength(2);
    expect(found.subscribers).toHaveLength(1);
    expect(deleted).toEqual({ customers: 2, subscribers: 1 });
    expect(sandbox.customers().map((customer) => customer.email)).toEqual(['grace@example.com']);
    expect(
      sandbox
        .subscribers()
        .map((subscriber) => subscriber.email)
        .sort(),
    ).toEqual(['ada.lovelace@example.com', 'grace@example.com']);
    const deletes = sandbox
      .stats()
      .log.filter((entry) => entry.method === 'DELETE')
      .map((entry) => entry.path);
    expect(deletes).toEqual([expect.stringMatching(/\/v3\/customers$/), expect.stringMatching(/\/v3\/customers\/subscribers\/\d+$/)]);
    expect(sandbox.unfilteredSubscriberDeletes()).toBe(0);
  });

  it('sends no DELETE at all when the store holds no such person', async () => {
    sandbox.seedCustomers([{ email: 'grace@example.com' }]);
    const store = { apiUrl: sandbox.url, storeHash: sandbox.storeHash, token: sandbox.token };
    expect(await deleteFromStore(store, await findPersonInStore(store, 'nobody@example.com'))).toEqual({ customers: 0, subscribers: 0 });
    expect(sandbox.stats().log.filter((entry) => entry.method === 'DELETE')).toEqual([]);
    expect(sandbox.customers()).toHaveLength(1);
  });

  it('the sandbox answers DELETE /v3/customers without id:in as BigCommerce documents: 204, nothing deleted', async () => {
    sandbox.seedCustomers([{ email: 'grace@example.com' }]);
    const response = await fetch(`${sandbox.url}/stores/${sandbox.storeHash}/v3/customers`, { method: 'DELETE', headers: { 'x-auth-token': sandbox.token } });
    expect(response.status).toBe(204);
    expect(sandbox.customers()).toHaveLength(1);
  });
});
