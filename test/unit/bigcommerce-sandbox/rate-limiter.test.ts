import { RateLimiter } from '../../../local/bigcommerce-sandbox/rate-limiter';

describe('BigCommerce sandbox: RateLimiter (injected clock)', () => {
  it('starts a fixed window at the first request and refreshes it whole once it has passed', () => {
    // Arrange: a fractional monotonic clock, like performance.now()
    let now = 1234.567891;
    const limiter = new RateLimiter({ quota: 2, windowMs: 30_000 }, 0.01, () => now);

    // Act
    const idle = limiter.peek();
    const first = limiter.admit();
    now += 120.25;
    const second = limiter.admit();
    const refused = limiter.admit();
    now += 179.75; // exactly the end of the 300 ms window
    const refreshed = limiter.admit();

    // Assert
    expect(idle).toEqual({ windowMs: 300, resetMs: 300, quota: 2, left: 2 });
    expect(first).toEqual({ allowed: true, state: { windowMs: 300, resetMs: 300, quota: 2, left: 1 } });
    expect(second.state).toMatchObject({ resetMs: 180, left: 0 });
    expect(refused).toEqual({ allowed: false, state: { windowMs: 300, resetMs: 180, quota: 2, left: 0 } });
    expect(refreshed).toEqual({ allowed: true, state: { windowMs: 300, resetMs: 300, quota: 2, left: 1 } });
  });

  it('never reports more than the window because of float noise', () => {
    // Arrange
    let now = 0;
    const limiter = new RateLimiter({ quota: 1, windowMs: 30_000 }, 1, () => now);
    const resets: number[] = [];

    // Act
    for (let i = 0; i < 1000; i++) {
      now = 1e6 + i * 7919.123456789;
      limiter.reset();
      resets.push(limiter.admit().state.resetMs);
    }

    // Assert
    expect(new Set(resets)).toEqual(new Set([30_000]));
  });

  it('gives a unit back on refund', () => {
    // Arrange
    const limiter = new RateLimiter({ quota: 1, windowMs: 1000 }, 1, () => 0);
    limiter.admit();

    // Act
    limiter.refund();

    // Assert
    expect(limiter.admit().allowed).toBe(true);
    expect(limiter.admit().allowed).toBe(false);
  });
});
