import { type BigCommerceSandbox, type SandboxStats, type SandboxSubscriber, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { clientOf } from '../../../local/bigcommerce-sandbox/stats';
import { BigCommerceClient } from '../../../shared/bigcommerce/client';
import { call, control } from './sandbox-http';

/**
 * The control route for subscribers (no store hash, no token), and the per-client request counts the
 * local status page reads, so that doctor's probes and manual GETs do not count as the sync's requests.
 */

describe('BigCommerce sandbox: /__sandbox/subscribers and requests per client', () => {
  let sandbox: BigCommerceSandbox;

  beforeEach(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: { quota: 100, windowMs: 30_000 }, seed: 5 });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('lists every subscriber with its consents, without auth, quota or stats', async () => {
    // Arrange: one subscribed through the API, one seeded.
    await call(sandbox, 'POST', '/customers/subscribers', { body: { email: 'ada@example.com', first_name: 'Ada', consents: ['marketing_newsletter'] } });
    sandbox.seedSubscribers([{ email: 'grace@example.com', consents: [] }]);
    const before = sandbox.stats({ logLimit: 0 }).apiRequests;

    // Act
    const listed = await control<{ data: SandboxSubscriber[] }>(sandbox, 'GET', 'subscribers');
    const posted = await control<{ error: string }>(sandbox, 'POST', 'subscribers', []);

    // Assert
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((subscriber) => [subscriber.email, subscriber.consents])).toEqual([
      ['ada@example.com', ['marketing_newsletter']],
      ['grace@example.com', []],
    ]);
    expect(posted.status).toBe(405);
    expect(sandbox.stats({ logLimit: 0 }).apiRequests).toBe(before);
  });

  it("counts requests and 429s per client, by the User-Agent's first product", async () => {
    // Arrange: the sync's own client, a doctor-like probe, curl, and a fetch with no User-Agent of its own.
    const tokens = { get: async () => sandbox.token, refresh: async () => sandbox.token };
    const sync = new BigCommerceClient({ apiUrl: sandbox.url, storeHash: sandbox.storeHash, tokens, timeoutMs: 5000 });
    sandbox.setOptions({ rateLimit: { quota: 3, windowMs: 30_000 } });

    // Act
    await sync.findCustomersByEmail(['ada@example.com']);
    await call(sandbox, 'GET', '/customers?limit=1', { headers: { 'User-Agent': 'signup-sync-doctor' } });
    await call(sandbox, 'GET', '/customers?limit=1', { headers: { 'User-Agent': 'curl/8.5.0' } });
    await call(sandbox, 'GET', '/customers?limit=1', { headers: { 'User-Agent': 'curl/8.5.0' } });
    const stats = (await control<SandboxStats>(sandbox, 'GET', 'stats')).body;

    // Assert: the fourth request found the quota spent.
    expect(stats.apiRequests).toBe(4);
    expect(stats.clients).toEqual({
      'signup-sync': { requests: 1, rateLimited: 0 },
      'signup-sync-doctor': { requests: 1, rateLimited: 0 },
      curl: { requests: 2, rateLimited: 1 },
    });
    sandbox.reset();
    expect(sandbox.stats().clients).toEqual({});
  });

  it.each([
    ['signup-sync', 'signup-sync'],
    ['signup-sync/0.2.0 (sync)', 'signup-sync'],
    ['curl/8.5.0', 'curl'],
    ['node', 'node'],
    ['  Mozilla/5.0 (X11)', 'Mozilla'],
    ['', '(none)'],
    [undefined, '(none)'],
    ['__proto__', '__proto__'],
  ])('names the client of User-Agent %j as %j', (userAgent, client) => {
    expect(clientOf(userAgent)).toBe(client);
  });
});
