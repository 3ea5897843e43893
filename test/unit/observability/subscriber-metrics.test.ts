import { Metric } from '../../../shared/observability/metric-names';
import type { SyncOutcome } from '../../../shared/sync/outcome';
import { createSyncMetrics } from '../../../shared/sync/sync-metrics';
import { metricsRecorder } from '../../helpers/metrics-recorder';

describe('sync metrics: newsletter parts', () => {
  it('counts each newsletter part by outcome, beside the customer outcome; newsletter-only messages are not customers', () => {
    // Arrange
    const { sink, sum, recorded } = metricsRecorder();
    const metrics = createSyncMetrics(sink);
    const outcomes = new Map<string, SyncOutcome>([
      ['a', { status: 'created', customerId: 1, subscriber: { status: 'subscribed', subscriberId: 7 } }],
      ['b', { status: 'existed', customerId: 2, subscriber: { status: 'resubscribed', subscriberId: 8 } }],
      ['c', { status: 'subscribed', subscriberId: 9 }],
      ['d', { status: 'unsubscribed', subscriberId: 10 }],
      ['e', { status: 'not-subscribed' }],
      ['f', { status: 'rejected', rejection: { code: 'subscriber-rejected', httpStatus: 422, detail: 'x' } }],
    ]);
    // Act
    metrics.onResponse({ method: 'POST', status: 200, rateLimit: undefined, durationMs: 1 });
    metrics.onOutcomes(outcomes, new Map());
    // Assert
    expect(sum(Metric.SubscriberOutcomes, { Outcome: 'subscribed' })).toBe(2);
    expect(sum(Metric.SubscriberOutcomes, { Outcome: 'resubscribed' })).toBe(1);
    expect(sum(Metric.SubscriberOutcomes, { Outcome: 'unsubscribed' })).toBe(1);
    expect(sum(Metric.SubscriberOutcomes, { Outcome: 'not-subscribed' })).toBe(1);
    expect(sum(Metric.CustomersCreated)).toBe(1);
    expect(sum(Metric.CustomersExisted)).toBe(1);
    expect(sum(Metric.SignupsDeadLettered, { Reason: 'subscriber-rejected' })).toBe(1);
    expect(recorded.find((m) => m.name === Metric.RequestsPerCustomer)?.value).toBeCloseTo(1 / 2);
  });
});
