import { type BigCommerceSandbox, type FaultKind, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { type CustomerBody, call, newCustomer, type Problem } from './sandbox-http';

async function postOne(sandbox: BigCommerceSandbox, email: string, signal?: AbortSignal) {
  return call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer({ email })], ...(signal ? { signal } : {}) });
}

/** The error a rejected fetch carries, with its network cause. */
async function fetchError(promise: Promise<unknown>): Promise<Error & { cause?: { code?: string } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { cause?: { code?: string } };
  }
  throw new Error('expected the request to fail');
}

describe('BigCommerce sandbox: fault injection', () => {
  let sandbox: BigCommerceSandbox;

  beforeEach(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: { quota: 100, windowMs: 30_000 }, seed: 42 });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it.each([500, 502, 503, 504] as const)('answers %i with a JSON error body and stores nothing', async (status) => {
    // Arrange
    sandbox.setFaults({ script: [status] });

    // Act
    const response = await postOne(sandbox, 'five@example.com');

    // Assert
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ status, title: expect.any(String) });
    expect(response.headers.get('x-rate-limit-requests-left')).toBe('99');
    expect(sandbox.customers()).toEqual([]);
  });

  it('created-then-500: stores the customer, then answers 500', async () => {
    // Arrange
    sandbox.setFaults({ script: ['created-then-500'] });

    // Act
    const response = await postOne(sandbox, 'ghost@example.com');
    const lookup = await call<{ data: CustomerBody[] }>(sandbox, 'GET', '/customers?email:in=ghost%40example.com');

    // Assert
    expect(response.status).toBe(500);
    expect(sandbox.customers().map((c) => c.email)).toEqual(['ghost@example.com']);
    expect(lookup.body.data).toHaveLength(1);
    expect(sandbox.stats()).toMatchObject({ customersCreated: 1, faults: { 'created-then-500': 1 } });
  });

  it('hang: never answers, so the client timeout fires; nothing is stored', async () => {
    // Arrange
    sandbox.setFaults({ script: ['hang'] });

    // Act
    const error = await fetchError(postOne(sandbox, 'hang@example.com', AbortSignal.timeout(150)));
    const next = await postOne(sandbox, 'after@example.com');

    // Assert
    expect(error.name).toBe('TimeoutError');
    expect(next.status).toBe(200);
    expect(sandbox.customers().map((c) => c.email)).toEqual(['after@example.com']);
    expect(sandbox.stats().requests).toMatchObject({ 'POST hang': 1, 'POST 200': 1 });
  });

  it('reset: drops the connection without an answer (ECONNRESET)', async () => {
    // Arrange
    sandbox.setFaults({ script: ['reset'] });

    // Act
    const error = await fetchError(postOne(sandbox, 'reset@example.com'));
    const next = await postOne(sandbox, 'after@example.com');

    // Assert
    expect(error.message).toBe('fetch failed');
    expect(error.cause?.code).toBe('ECONNRESET');
    expect(next.status).toBe(200);
    expect(sandbox.customers().map((c) => c.email)).toEqual(['after@example.com']);
  });

  it('revoked-401: one 401 as if the token were revoked, then the token works again', async () => {
    // Arrange
    sandbox.setFaults({ script: ['revoked-401'] });

    // Act
    const revoked = await postOne(sandbox, 'a@example.com');
    const retried = await postOne(sandbox, 'a@example.com');

    // Assert
    expect(revoked.status).toBe(401);
    expect(retried.status).toBe(200);
    // the 401 did not spend a unit: 100 - 1
    expect(retried.headers.get('x-rate-limit-requests-left')).toBe('99');
  });

  it('429: answers as if the quota were spent, with X-Retry-After, without spending a unit', async () => {
    // Arrange
    sandbox.setFaults({ script: [429] });

    // Act
    const limited = await postOne(sandbox, 'a@example.com');
    const next = await postOne(sandbox, 'a@example.com');

    // Assert
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-rate-limit-requests-left')).toBe('0');
    expect(limited.headers.get('x-retry-after')).toBe('30');
    expect(next.status).toBe(200);
    expect(next.headers.get('x-rate-limit-requests-left')).toBe('99');
    expect(sandbox.stats().rateLimited).toBe(1);
  });

  it('consumes the script in order, one entry per matching request, before the rate', async () => {
    // Arrange: GETs are not matched by default, so they do not consume the script
    sandbox.setFaults({ script: [503, 'none', 'created-then-500', 502], rate: 0 });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      await call(sandbox, 'GET', '/customers');
      statuses.push((await postOne(sandbox, `s${i}@example.com`)).status);
    }

    // Assert
    expect(statuses).toEqual([503, 200, 500, 502, 200, 200]);
    expect(sandbox.customers().map((c) => c.email)).toEqual(['s1@example.com', 's2@example.com', 's4@example.com', 's5@example.com']);
    expect(sandbox.stats().requests['GET 200']).toBe(6);
  });

  it('applies faults only to the configured methods', async () => {
    // Arrange
    sandbox.setFaults({ script: [500], methods: ['GET'] });

    // Act
    const post = await postOne(sandbox, 'a@example.com');
    const get = await call(sandbox, 'GET', '/customers');

    // Assert
    expect(post.status).toBe(200);
    expect(get.status).toBe(500);
  });

  it('draws rate faults deterministically from the seed', async () => {
    // Arrange
    const faults = { rate: 0.5, kinds: [500, 503] as FaultKind[], methods: ['GET' as const] };
    const twin = await startBigCommerceSandbox({ rateLimit: false, seed: 42, faults });
    const other = await startBigCommerceSandbox({ rateLimit: false, seed: 43, faults });
    sandbox.setOptions({ rateLimit: false });
    sandbox.setFaults(faults);
    const run = async (target: BigCommerceSandbox) => {
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await call(target, 'GET', '/customers')).status);
      return statuses;
    };

    try {
      // Act
      const a = await run(sandbox);
      const b = await run(twin);
      const c = await run(other);

      // Assert
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
      expect(new Set(a)).toEqual(new Set([200, 500, 503]));
      expect(twin.stats().seed).toBe(42);
    } finally {
      await Promise.all([twin.close(), other.close()]);
    }
  });

  it('adds latency before every API answer', async () => {
    // Arrange
    sandbox.setFaults({ latencyMs: 80 });

    // Act
    const started = performance.now();
    const response = await call(sandbox, 'GET', '/customers');
    const elapsed = performance.now() - started;

    // Assert
    expect(response.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(75);
  });

  it('close() returns promptly with a hanging request outstanding, and the client sees the connection end', async () => {
    // Arrange
    sandbox.setFaults({ script: ['hang'] });
    const pending = fetchError(postOne(sandbox, 'stuck@example.com'));
    await waitFor(() => sandbox.stats().requests['POST hang'] === 1);

    // Act
    const started = performance.now();
    await sandbox.close();
    const elapsed = performance.now() - started;

    // Assert
    expect(elapsed).toBeLessThan(500);
    expect((await pending).message).toBe('fetch failed');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
