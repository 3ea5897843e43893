import { Metrics } from '@aws-lambda-powertools/metrics';
import { buildSyncHandler } from '../../../functions/sync/build-handler';
import { loadSyncConfig } from '../../../shared/config/sync-config';
import { METRICS, METRICS_NAMESPACE, Metric, type MetricSeries, metricSeries, SERVICE } from '../../../shared/observability/metric-names';
import { powertoolsMetricsSink } from '../../../shared/observability/powertools';
import { aLambdaContext, anApiEvent, anSqsEvent, anSqsRecord, aSignup, aSignupMessage } from '../../helpers/events';
import { type FakeResponse, fakeFetch } from '../../helpers/fake-bigcommerce-fetch';
import { anIngestHandler, fakeQueue, standardWebhookHeaders } from '../../helpers/ingest';
import { captureWrite, testLogger } from '../../helpers/log-capture';

/**
 * What the functions really write as EMF documents (Powertools Metrics as deployed, its `service` default
 * dimension included) is within the metric inventory (shared/observability/metric-names.ts): the template
 * test (test/infra/metric-inventory.test.ts) checks that every pair of the inventory is read by an alarm or
 * the dashboard, so together no metric-dimension pair is emitted that nothing reads.
 */

type EmfDocument = { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } } & Record<
  string,
  unknown
>;

let lines: string[];
let writes: jest.SpyInstance[];
beforeEach(() => {
  lines = [];
  const keep = (chunk: string | Uint8Array) => {
    const text = String(chunk);
    lines.push(...text.split('\n').filter((line) => line.trim() !== ''));
    captureWrite(text);
    return true;
  };
  writes = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
});
afterEach(() => {
  for (const write of writes) write.mockRestore();
});

/** Every metric-dimension pair of the EMF documents written, with its unit. */
function emittedSeries(): (MetricSeries & { unit: string })[] {
  return lines
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument)
    .flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Dimensions.flatMap((dimensionSet) =>
          directive.Metrics.map((metric) => ({
            namespace: directive.Namespace,
            name: metric.Name as MetricSeries['name'],
            unit: metric.Unit,
            dimensions: Object.fromEntries(dimensionSet.map((dimension) => [dimension, String(doc[dimension])])),
          })),
        ),
      ),
    );
}

const key = (series: MetricSeries) => `${series.namespace}/${series.name}${JSON.stringify(Object.entries(series.dimensions).sort())}`;

const SYNC_ENV = {
  SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
  BIGCOMMERCE_STORE_HASH: 'abc123',
  BIGCOMMERCE_TOKEN_SECRET: 'token',
  BIGCOMMERCE_API_URL: 'https://api.bigcommerce.test',
};

/** The sync as deployed (Powertools Logger and Metrics, no overrides of them) against a scripted BigCommerce. */
async function syncBatch(answer: (call: number) => FakeResponse) {
  let call = 0;
  const bigCommerce = fakeFetch(() => answer(call++));
  const handler = buildSyncHandler(loadSyncConfig(SYNC_ENV), {
    tokens: { get: async () => 'a-bigcommerce-token', refresh: async () => 'a-bigcommerce-token' },
    fetch: bigCommerce.fetch,
    deadLetters: { send: async () => undefined },
    visibility: { delay: async () => undefined },
    options: { baseBackoffMs: 1 },
  });
  // Time for one request only (2 s reserve + 1 s minimum): a 429 or 401 defers the batch instead of waiting.
  return handler(anSqsEvent([anSqsRecord(aSignupMessage()), anSqsRecord(aSignupMessage())]), aLambdaContext(3_500));
}

describe('the metrics the functions emit', () => {
  it('are pairs of the inventory only, with its units, for every answer that emits one', async () => {
    // Act: the ingest's 503 (and a 202, a 422, a 401 that emit none), the sync's 429s and 401s (and a clean batch)
    const queue = fakeQueue();
    const ingest = anIngestHandler({
      queue: queue.queue,
      metrics: powertoolsMetricsSink<'ingest'>(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE.ingest })),
    });
    const signed = (body: string) => ingest(anApiEvent(body, { headers: standardWebhookHeaders(body) }));
    const answers = [
      await signed(JSON.stringify(aSignup())),
      await signed(JSON.stringify({ email: 'nope' })),
      await ingest(anApiEvent(JSON.stringify(aSignup()))),
    ];
    queue.state.fail = true;
    answers.push(await signed(JSON.stringify(aSignup())));
    await syncBatch(() => ({ status: 200, body: { data: [] } }));
    await syncBatch(() => ({ status: 429, headers: { 'x-rate-limit-time-reset-ms': '1000' }, body: { title: 'Too many requests' } }));
    await syncBatch(() => ({ status: 401, body: { title: 'Unauthorized' } }));

    // Assert
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 422, 401, 503]);
    const emitted = emittedSeries();
    const inventory = new Set(metricSeries([]).map(key));
    expect(emitted.filter((series) => !inventory.has(key(series))).map(key)).toEqual([]);
    for (const series of emitted) expect(series.unit).toBe(METRICS[series.name].unit);
    // Each of the three alarm metrics was really written, under its function's service.
    expect(new Set(emitted.map(key))).toEqual(inventory);
    expect(emitted.find((series) => series.name === Metric.QueueUnavailable)?.dimensions).toEqual({ service: SERVICE.ingest });
  });

  it('include none for what nothing alarms on: an accepted request and a clean batch write no EMF document', async () => {
    const ingest = anIngestHandler({
      queue: fakeQueue().queue,
      metrics: powertoolsMetricsSink<'ingest'>(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE.ingest })),
      logger: testLogger,
    });
    const body = JSON.stringify(aSignup());
    expect((await ingest(anApiEvent(body, { headers: standardWebhookHeaders(body) }))).statusCode).toBe(202);
    await syncBatch(() => ({ status: 200, body: { data: [] } }));
    expect(lines.filter((line) => line.includes('"_aws"'))).toEqual([]);
  });
});

describe('the inventory', () => {
  it('gives every metric the service of its function, and one pair per value of each other dimension (source ids as configured)', () => {
    // Without sources, the per-source metrics have no pair at all (a metric's pairs multiply its dimensions' values).
    expect(metricSeries([]).map((entry) => [entry.name, entry.dimensions])).toEqual(
      Object.entries(METRICS)
        .filter(([, spec]) => Object.keys(spec.dimensions).length === 0)
        .map(([name, spec]) => [name, { service: SERVICE[spec.function] }]),
    );
    expect(metricSeries(['shop']).filter((entry) => entry.name === 'SourceDeliveries' || entry.name === 'SourceAuthFailures')).toEqual([
      expect.objectContaining({ name: 'SourceDeliveries', dimensions: { service: SERVICE.ingest, SourceId: 'shop' } }),
      expect.objectContaining({ name: 'SourceAuthFailures', dimensions: { service: SERVICE.ingest, SourceId: 'shop' } }),
    ]);
    const perSource = metricSeries(['shop', 'form'], {
      Refused: { function: 'ingest', unit: 'Count', dimensions: { Source: 'configured-source-ids', Reason: ['401', '422'] }, usedBy: 'dashboard' },
    });
    expect(perSource.map((entry) => entry.dimensions)).toEqual([
      { service: SERVICE.ingest, Source: 'shop', Reason: '401' },
      { service: SERVICE.ingest, Source: 'shop', Reason: '422' },
      { service: SERVICE.ingest, Source: 'form', Reason: '401' },
      { service: SERVICE.ingest, Source: 'form', Reason: '422' },
    ]);
  });
});
