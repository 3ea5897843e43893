import { type BigCommerceSandbox, type SandboxSubscriber, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { call, type Problem } from './sandbox-http';

/** The sandbox's Subscribers v3 endpoints behave as BigCommerce documents them, and model the DELETE trap. */

type One = { data: SandboxSubscriber };
type Many = { data: SandboxSubscriber[]; meta: { pagination: { total: number } } };

describe('BigCommerce sandbox: subscribers', () => {
  let sandbox: BigCommerceSandbox;
  let errors: jest.SpyInstance;

  beforeEach(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: { quota: 100, windowMs: 30_000 }, seed: 3, channels: [1, 2] });
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    errors.mockRestore();
    await sandbox.close();
  });

  it('creates one subscriber per POST with its consents, and answers 409 for a known email', async () => {
    // Act
    const first = await call<One>(sandbox, 'POST', '/customers/subscribers', {
      body: { email: 'Ada@Example.com', first_name: 'Ada', consents: ['marketing_newsletter'] },
    });
    const again = await call<Problem>(sandbox, 'POST', '/customers/subscribers', { body: { email: 'ada@example.com', consents: [] } });

    // Assert
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ email: 'ada@example.com', first_name: 'Ada', consents: ['marketing_newsletter'], channel_id: 1, source: 'custom' });
    expect(first.headers.get('x-rate-limit-requests-left')).toBe('99');
    expect(again.status).toBe(409);
    expect(sandbox.subscribers()).toHaveLength(1);
  });

  it.each([
    ['an array (no batch)', [{ email: 'a@example.com' }], ''],
    ['no email', { first_name: 'Ada' }, 'email'],
    ['an unknown consent', { email: 'b@example.com', consents: ['sms'] }, 'consents.0'],
    ['a name over 255 characters', { email: 'c@example.com', last_name: 'x'.repeat(256) }, 'last_name'],
    ['an unknown channel', { email: 'd@example.com', channel_id: 9 }, 'channel_id'],
  ])('refuses %s with 422 naming the field', async (_case, body, field) => {
    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers/subscribers', { body });

    // Assert
    expect(response.status).toBe(422);
    if (field) expect(Object.keys(response.body.errors)).toContain(field);
    expect(sandbox.subscribers()).toEqual([]);
  });

  it('finds subscribers by email and updates consents by id', async () => {
    // Arrange
    const [seeded] = sandbox.seedSubscribers([{ email: 'grace@example.com', consents: ['marketing_newsletter', 'abandoned_cart'] }]);

    // Act
    const found = await call<Many>(sandbox, 'GET', '/customers/subscribers?email=GRACE%40example.com');
    const updated = await call<One>(sandbox, 'PUT', `/customers/subscribers/${seeded!.id}`, { body: { consents: ['abandoned_cart'] } });
    const missing = await call<Problem>(sandbox, 'PUT', '/customers/subscribers/999', { body: { consents: [] } });

    // Assert
    expect(found.body.data.map((subscriber) => subscriber.id)).toEqual([seeded!.id]);
    expect(updated.body.data.consents).toEqual(['abandoned_cart']);
    expect(sandbox.subscribers()[0]!.consents).toEqual(['abandoned_cart']);
    expect(missing.status).toBe(404);
  });

  it('refuses DELETE of the whole collection without a filter, deletes nothing and counts it', async () => {
    // Arrange
    sandbox.seedSubscribers([{ email: 'a@example.com' }, { email: 'b@example.com' }]);

    // Act
    const trap = await call<Problem>(sandbox, 'DELETE', '/customers/subscribers');
    const filtered = await call(sandbox, 'DELETE', '/customers/subscribers?email=a%40example.com');

    // Assert
    expect(trap.status).toBe(500);
    expect(trap.body.title).toMatch(/without a filter/);
    expect(sandbox.unfilteredSubscriberDeletes()).toBe(1);
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/DELETE \/v3\/customers\/subscribers without a filter/));
    expect(filtered.status).toBe(204);
    expect(sandbox.subscribers().map((subscriber) => subscriber.email)).toEqual(['b@example.com']);
  });

  it('traps a collection DELETE filtered by id:in alone (not a filter the spec gives that DELETE), and deletes one by id', async () => {
    // Arrange
    const [first, second] = sandbox.seedSubscribers([{ email: 'a@example.com' }, { email: 'b@example.com' }]);

    // Act
    const byIdIn = await call<Problem>(sandbox, 'DELETE', `/customers/subscribers?id:in=${first!.id}`);
    const byPath = await call(sandbox, 'DELETE', `/customers/subscribers/${second!.id}`);

    // Assert
    expect(byIdIn.status).toBe(500);
    expect(sandbox.unfilteredSubscriberDeletes()).toBe(1);
    expect(byPath.status).toBe(204);
    expect(sandbox.subscribers().map((subscriber) => subscriber.email)).toEqual(['a@example.com']);
  });

  it('injects faults into subscriber writes, and a created-then-500 keeps the subscriber', async () => {
    // Arrange
    sandbox.setFaults({ script: [503, 'created-then-500'] });

    // Act
    const unavailable = await call(sandbox, 'POST', '/customers/subscribers', { body: { email: 'x@example.com' } });
    const lostAnswer = await call(sandbox, 'POST', '/customers/subscribers', { body: { email: 'x@example.com' } });

    // Assert
    expect([unavailable.status, lostAnswer.status]).toEqual([503, 500]);
    expect(sandbox.subscribers().map((subscriber) => subscriber.email)).toEqual(['x@example.com']);
  });

  it('shares the store quota with the customers endpoints and needs the write scope', async () => {
    // Arrange
    sandbox.setOptions({ rateLimit: { quota: 2, windowMs: 30_000 } });
    sandbox.setTokens([sandbox.token], ['read-only']);

    // Act
    await call(sandbox, 'GET', '/customers');
    const readOnlyWrite = await call(sandbox, 'POST', '/customers/subscribers', { token: 'read-only', body: { email: 'r@example.com' } });
    const limited = await call(sandbox, 'GET', '/customers/subscribers?email=r%40example.com');

    // Assert
    expect(readOnlyWrite.status).toBe(403);
    expect(limited.status).toBe(429);
  });

  it('reset() forgets subscribers', async () => {
    sandbox.seedSubscribers([{ email: 'a@example.com' }]);
    sandbox.reset();
    expect(sandbox.subscribers()).toEqual([]);
  });
});
