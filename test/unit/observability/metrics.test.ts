import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, Metric, SERVICE } from '../../../shared/observability/metric-names';
import { powertoolsMetricsSink } from '../../../shared/observability/powertools';
import type { SyncOutcome } from '../../../shared/sync/outcome';
import { createSyncMetrics } from '../../../shared/sync/sync-metrics';
import { metricsRecorder } from '../../helpers/metrics-recorder';

describe('sync metrics', () => {
  it('sums a batch for its log line: outcomes, customers, BigCommerce requests by method and status, requests per customer', () => {
    // Arrange
    const { sink, recorded } = metricsRecorder();
    const metrics = createSyncMetrics(sink);
    const outcomes = new Map<string, SyncOutcome>([
      ['a', { status: 'created', customerId: 1 }],
      ['b', { status: 'created', customerId: 2 }],
      ['c', { status: 'existed', customerId: 3 }],
      ['d', { status: 'updated', customerId: 4 }],
      ['e', { status: 'rejected', rejection: { code: 'bigcommerce-rejected', httpStatus: 422, detail: 'x' } }],
      ['f', { status: 'rejected', rejection: { code: 'invalid-message', detail: 'x' } }],
      ['g', { status: 'deferred', reason: 'rate-limited', retryAfterMs: 1000 }],
    ]);

    // Act
    metrics.onResponse({ method: 'POST', status: 422, rateLimit: undefined, durationMs: 5 });
    metrics.onResponse({ method: 'GET', status: 200, rateLimit: undefined, durationMs: 5 });
    metrics.onResponse({ method: 'POST', status: 200, rateLimit: undefined, durationMs: 5 });
    metrics.onResponse({ method: 'POST', status: 429, rateLimit: undefined, durationMs: 5 });
    metrics.onResponse({ method: 'POST', status: undefined, kind: 'timeout', rateLimit: undefined, durationMs: 5 });
    const summary = metrics.onOutcomes(outcomes);

    // Assert
    expect(summary).toEqual({
      created: 2,
      existed: 1,
      updated: 1,
      rejected: 2,
      deferred: 1,
      customers: 4,
      bigCommerceRequests: 5,
      bigCommerceByStatus: { POST_422: 1, GET_200: 1, POST_200: 1, POST_429: 1, POST_timeout: 1 },
      rateLimited: 1,
      requestsPerCustomer: 1.25,
    });
    // The one 429 is also the metric RateLimitedAlarm reads; nothing else is a metric.
    expect(recorded).toEqual([{ name: Metric.BigCommerceRateLimited, unit: 'Count', value: 1, dimensions: {} }]);
  });

  it('counts 401/403 answers as auth failures (the metric and the line) and token re-reads, and starts each invocation afresh', () => {
    const { sink, sum, recorded } = metricsRecorder();
    const metrics = createSyncMetrics(sink);
    metrics.onResponse({ method: 'POST', status: 401, rateLimit: undefined, durationMs: 1 });
    metrics.onTokenRefresh();
    metrics.onResponse({ method: 'POST', status: 403, rateLimit: undefined, durationMs: 1 });
    const first = metrics.onOutcomes(new Map([['a', { status: 'deferred', reason: 'unauthorized' }]]));
    const second = metrics.onOutcomes(new Map([['b', { status: 'created', customerId: 1 }]]));
    expect(sum(Metric.BigCommerceAuthFailures)).toBe(2);
    expect(recorded).toHaveLength(1);
    expect(first).toMatchObject({ deferred: 1, authFailures: 2, tokenRefreshes: 1, bigCommerceRequests: 2 });
    expect(second).toEqual({ created: 1, customers: 1 });
  });
});

describe('Powertools metrics sink', () => {
  let lines: string[];
  let write: jest.SpyInstance;
  beforeEach(() => {
    lines = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => write.mockRestore());

  const emf = () =>
    lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
          } & Record<string, unknown>,
      );

  it('writes each metric at once as one EMF document in our namespace, with the service dimension and the unit of the inventory', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE.sync });
    const sink = powertoolsMetricsSink<'sync'>(metrics);

    sink.add(Metric.BigCommerceRateLimited, 3);
    sink.add(Metric.BigCommerceAuthFailures, 1);

    const documents = emf();
    expect(documents).toHaveLength(2);
    expect(documents[0]!._aws.CloudWatchMetrics).toEqual([
      { Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: Metric.BigCommerceRateLimited, Unit: 'Count' }] },
    ]);
    expect(documents[0]).toMatchObject({ service: SERVICE.sync, [Metric.BigCommerceRateLimited]: 3 });
    expect(documents[1]).toMatchObject({ service: SERVICE.sync, [Metric.BigCommerceAuthFailures]: 1 });
  });
});
