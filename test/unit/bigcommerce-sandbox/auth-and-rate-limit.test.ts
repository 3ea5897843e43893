import { setTimeout as sleep } from 'node:timers/promises';
import { type BigCommerceSandbox, formatRetryAfter, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { call, newCustomer, type Problem } from './sandbox-http';

function quotaOf(headers: Headers) {
  return {
    windowMs: Number(headers.get('x-rate-limit-time-window-ms')),
    resetMs: Number(headers.get('x-rate-limit-time-reset-ms')),
    quota: Number(headers.get('x-rate-limit-requests-quota')),
    left: Number(headers.get('x-rate-limit-requests-left')),
  };
}

describe('BigCommerce sandbox: auth and routing', () => {
  let sandbox: BigCommerceSandbox;

  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ storeHash: 'abc123', tokens: ['good'], readOnlyTokens: ['reader'] });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  beforeEach(() => {
    sandbox.reset();
    sandbox.setTokens(['good']);
  });

  it('answers 401 for a missing or unknown token, without spending the quota', async () => {
    // Act
    const missing = await call<Problem>(sandbox, 'GET', '/customers', { token: null });
    const unknown = await call<Problem>(sandbox, 'POST', '/customers', { token: 'nope', body: [newCustomer()] });
    const afterwards = await call(sandbox, 'GET', '/customers');

    // Assert
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ status: 401, title: expect.any(String) });
    expect(unknown.status).toBe(401);
    expect(quotaOf(afterwards.headers).left).toBe(149);
    expect(sandbox.customers()).toEqual([]);
  });

  it('answers 403 to a read-only token on writes, 200 on reads', async () => {
    // Act
    const read = await call(sandbox, 'GET', '/customers', { token: 'reader' });
    const post = await call<Problem>(sandbox, 'POST', '/customers', { token: 'reader', body: [newCustomer()] });
    const put = await call<Problem>(sandbox, 'PUT', '/customers', { token: 'reader', body: [{ id: 1 }] });

    // Assert
    expect(read.status).toBe(200);
    expect(post.status).toBe(403);
    expect(post.body.status).toBe(403);
    expect(put.status).toBe(403);
    expect(sandbox.customers()).toEqual([]);
  });

  it('answers 404 for another store hash or an unknown route, 405 for a wrong method', async () => {
    // Act
    const otherStore = await call(sandbox, 'GET', '/customers', { storeHash: 'other' });
    const unknownRoute = await call(sandbox, 'GET', '/orders');
    const wrongMethod = await call(sandbox, 'PATCH', '/customers');
    const unfilteredDelete = await call(sandbox, 'DELETE', '/customers');

    // Assert
    expect(otherStore.status).toBe(404);
    expect(otherStore.headers.get('x-rate-limit-requests-left')).toBeNull();
    expect(unknownRoute.status).toBe(404);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST, PUT, DELETE');
    // BigCommerce's spec: without `id:in`, 204 and nothing changes.
    expect(unfilteredDelete.status).toBe(204);
  });

  it('rotates tokens: the revoked one gets 401, the new one works', async () => {
    // Arrange
    sandbox.setTokens(['rotated']);

    // Act
    const old = await call(sandbox, 'GET', '/customers', { token: 'good' });
    const rotated = await call(sandbox, 'GET', '/customers', { token: 'rotated' });

    // Assert
    expect(old.status).toBe(401);
    expect(rotated.status).toBe(200);
    expect(sandbox.token).toBe('rotated');
  });
});

describe('BigCommerce sandbox: rate limit', () => {
  let sandbox: BigCommerceSandbox;

  afterEach(async () => {
    await sandbox.close();
  });

  it('reports a decreasing quota on every answer, 429 with X-Retry-After when spent, then refreshes after the scaled window', async () => {
    // Arrange: 3 requests per 2 s window, time scaled to 1/20 -> a real 100 ms window
    sandbox = await startBigCommerceSandbox({ rateLimit: { quota: 3, windowMs: 2000 }, timeScale: 0.05 });

    // Act
    const first = await call(sandbox, 'GET', '/customers');
    const second = await call(sandbox, 'POST', '/customers', { body: [] }); // a failed request still counts
    const third = await call(sandbox, 'POST', '/customers', { body: [newCustomer()] });
    const limited = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer()] });
    const limitedAgain = await call(sandbox, 'GET', '/customers');
    // a few ms of slack: timers may fire a little before the monotonic clock the sandbox reads
    await sleep(quotaOf(limitedAgain.headers).resetMs + 5);
    const refreshed = await call(sandbox, 'GET', '/customers');

    // Assert
    expect([first, second, third].map((r) => r.status)).toEqual([200, 422, 200]);
    expect([first, second, third].map((r) => quotaOf(r.headers).left)).toEqual([2, 1, 0]);
    expect(quotaOf(first.headers)).toMatchObject({ windowMs: 100, quota: 3 });
    expect(quotaOf(first.headers).resetMs).toBeLessThanOrEqual(100);
    expect(limited.status).toBe(429);
    expect(limited.body.status).toBe(429);
    expect(quotaOf(limited.headers).left).toBe(0);
    const retryAfter = limited.headers.get('x-retry-after') ?? '';
    expect(retryAfter).toMatch(/^0\.\d{3}$/);
    expect(Number(retryAfter) * 1000).toBe(quotaOf(limited.headers).resetMs);
    expect(limitedAgain.status).toBe(429);
    // 429 answers do not consume: the new window starts full, minus this request
    expect(refreshed.status).toBe(200);
    expect(quotaOf(refreshed.headers).left).toBe(2);
    expect(sandbox.customers()).toHaveLength(1);
    expect(sandbox.stats()).toMatchObject({ rateLimited: 2, requests: { 'GET 200': 2, 'POST 422': 1, 'POST 200': 1, 'POST 429': 1, 'GET 429': 1 } });
  });

  it('sends X-Retry-After in whole seconds on an unscaled clock', async () => {
    // Arrange
    sandbox = await startBigCommerceSandbox({ rateLimit: { quota: 1, windowMs: 30_000 } });
    await call(sandbox, 'GET', '/customers');

    // Act
    const limited = await call(sandbox, 'GET', '/customers');

    // Assert
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-retry-after')).toBe('30');
    expect(quotaOf(limited.headers)).toMatchObject({ windowMs: 30_000, quota: 1, left: 0 });
    expect(quotaOf(limited.headers).resetMs).toBeGreaterThan(29_000);
  });

  it('formats X-Retry-After as ceil seconds, or 3 decimals when scaled', () => {
    // Assert
    expect(formatRetryAfter(29_001, 1)).toBe('30');
    expect(formatRetryAfter(412, 0.01)).toBe('0.412');
  });

  it('can be switched off and reconfigured at run time', async () => {
    // Arrange
    sandbox = await startBigCommerceSandbox({ rateLimit: false });

    // Act
    const unlimited = await call(sandbox, 'GET', '/customers');
    sandbox.setOptions({ rateLimit: { quota: 450, windowMs: 30_000 } });
    const pro = await call(sandbox, 'GET', '/customers');

    // Assert
    expect(unlimited.headers.get('x-rate-limit-requests-quota')).toBeNull();
    expect(quotaOf(pro.headers)).toMatchObject({ quota: 450, left: 449 });
    expect(sandbox.stats().rateLimit).toMatchObject({ quota: 450, left: 449, windowMs: 30_000 });
  });
});
