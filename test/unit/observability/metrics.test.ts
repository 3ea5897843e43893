import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, Metric, SERVICE } from '../../../shared/observability/metric-names';
import { powertoolsMetricsSink } from '../../../shared/observability/powertools';
import type { SyncOutcome } from '../../../shared/sync/outcome';
import { createSyncMetrics } from '../../../shared/sync/sync-metrics';
import { metricsRecorder } from '../../helpers/metrics-recorder';

const received = (ms: number) => ({ received_at: new Date(Date.parse('2026-11-27T07:00:00.000Z') - ms).toISOString() });
const NOW = Date.parse('2026-11-27T07:00:00.000Z');

describe('sync metrics', () => {
  it('counts each outcome under its own metric, with the reason as dimension for dead letters and deferrals', () => {
    // Arrange
    const { sink, recorded, sum } = metricsRecorder();
    const metrics = createSyncMetrics(sink, () => NOW);
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
    metrics.onOutcomes(
      outcomes,
      new Map([
        ['a', received(1500)],
        ['b', received(500)],
        ['c', received(100)],
        ['d', received(100)],
      ]),
    );
    // Assert
    expect(sum(Metric.CustomersCreated)).toBe(2);
    expect(sum(Metric.CustomersExisted)).toBe(1);
    expect(sum(Metric.CustomersUpdated)).toBe(1);
    expect(sum(Metric.SignupsDeadLettered, { Reason: 'bigcommerce-rejected' })).toBe(1);
    expect(sum(Metric.SignupsDeadLettered, { Reason: 'invalid-message' })).toBe(1);
    expect(sum(Metric.SignupsDeferred, { Reason: 'rate-limited' })).toBe(1);
    expect(sum(Metric.BigCommerceRequests, { Method: 'POST', Status: '422' })).toBe(1);
    expect(sum(Metric.BigCommerceRequests, { Method: 'POST', Status: 'timeout' })).toBe(1);
    expect(sum(Metric.BigCommerceRateLimited)).toBe(1);
    expect(sum(Metric.BatchSize)).toBe(7);
    expect(recorded.find((m) => m.name === Metric.RequestsPerCustomer)?.value).toBeCloseTo(5 / 4);
    expect(
      recorded
        .filter((m) => m.name === Metric.ReceiptToCustomer)
        .map((m) => m.value)
        .sort((x, y) => x - y),
    ).toEqual([100, 100, 500, 1500]);
    expect(recorded.find((m) => m.name === Metric.ReceiptToCustomer)?.unit).toBe('Milliseconds');
  });

  it('counts 401/403 answers as auth failures and token refreshes, and starts each invocation afresh', () => {
    const { sink, sum } = metricsRecorder();
    const metrics = createSyncMetrics(sink);
    metrics.onResponse({ method: 'POST', status: 401, rateLimit: undefined, durationMs: 1 });
    metrics.onTokenRefresh();
    metrics.onResponse({ method: 'POST', status: 403, rateLimit: undefined, durationMs: 1 });
    metrics.onOutcomes(new Map([['a', { status: 'deferred', reason: 'unauthorized' }]]), new Map());
    metrics.onOutcomes(new Map([['b', { status: 'created', customerId: 1 }]]), new Map());
    expect(sum(Metric.BigCommerceAuthFailures)).toBe(2);
    expect(sum(Metric.TokenRefreshes)).toBe(1);
    expect(sum(Metric.SignupsDeferred, { Reason: 'unauthorized' })).toBe(1);
    expect(sum(Metric.BigCommerceRequests)).toBe(2);
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

  it('writes EMF documents in our namespace with the service and the given dimensions', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE.sync });
    const sink = powertoolsMetricsSink(metrics, { buffered: true });

    sink.add(Metric.SignupsDeadLettered, 'Count', 1, { Reason: 'bigcommerce-rejected' });
    sink.add(Metric.CustomersCreated, 'Count', 3);
    metrics.publishStoredMetrics();

    const documents = emf();
    const deadLettered = documents.find((doc) => doc._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === Metric.SignupsDeadLettered))!;
    expect(deadLettered._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
    expect(deadLettered._aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'Reason']));
    expect(deadLettered).toMatchObject({ service: SERVICE.sync, Reason: 'bigcommerce-rejected', [Metric.SignupsDeadLettered]: 1 });
    const created = documents.find((doc) => doc._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === Metric.CustomersCreated))!;
    expect(created).toMatchObject({ service: SERVICE.sync, [Metric.CustomersCreated]: 3 });
    expect(created._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: Metric.CustomersCreated, Unit: 'Count' }]);
  });

  it('publishes at once when not buffered (the ingest has no per-invocation flush)', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE.ingest });
    powertoolsMetricsSink(metrics, { buffered: false }).add(Metric.QueueUnavailable, 'Count', 1);
    expect(emf().map((doc) => doc[Metric.QueueUnavailable])).toEqual([1]);
  });
});
