import { DEFERRAL_BACKOFF_SECONDS, redeliveryDelaySeconds } from '../../../shared/sync/redelivery-delay';

describe('redeliveryDelaySeconds', () => {
  it.each(['unauthorized', 'configuration', 'bigcommerce-unavailable'] as const)(
    'backs %s off by receive count: 1 min, 5 min, 30 min, 2 h, then 12 h',
    (reason) => {
      // Act
      const delays = [1, 2, 3, 4, 5, 6, 40].map((receiveCount) => redeliveryDelaySeconds(reason, receiveCount));

      // Assert
      expect(delays).toEqual([60, 300, 1_800, 7_200, 43_200, 43_200, 43_200]);
    },
  );

  it('treats a missing receive count as the first delivery', () => {
    expect(redeliveryDelaySeconds('bigcommerce-unavailable', undefined)).toBe(60);
  });

  it('waits for the announced quota reset on the first delivery of a rate-limited message', () => {
    // Act
    const delay = redeliveryDelaySeconds('rate-limited', 1, 12_300);

    // Assert: whole seconds, never shorter than the announced wait
    expect(delay).toBe(13);
  });

  it('backs a message that keeps meeting a spent quota off like an outage, from its second delivery', () => {
    // Act
    const delays = [2, 3, 4, 5].map((receiveCount) => redeliveryDelaySeconds('rate-limited', receiveCount, 20_000));

    // Assert: the backoff of the delivery before, or the announced wait when that is longer
    expect(delays).toEqual([60, 300, 1_800, 7_200]);
    expect(redeliveryDelaySeconds('rate-limited', 2, 90_000)).toBe(90);
  });

  it("leaves an out-of-time deferral to the queue's visibility timeout", () => {
    expect(redeliveryDelaySeconds('out-of-time', 3)).toBeUndefined();
  });

  it("stays within SQS's 12-hour visibility ceiling, which 5 deliveries at most reach in about 15 hours", () => {
    // Act
    const total = [1, 2, 3, 4, 5].reduce((sum, receiveCount) => sum + redeliveryDelaySeconds('bigcommerce-unavailable', receiveCount)!, 0);

    // Assert
    expect(Math.max(...DEFERRAL_BACKOFF_SECONDS)).toBe(43_200);
    expect(redeliveryDelaySeconds('rate-limited', 9, 100_000_000)).toBe(43_200);
    expect(total / 3600).toBeCloseTo(14.6, 1);
  });
});
