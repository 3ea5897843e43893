import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { Metric } from '../../../shared/observability/metric-names';
import { anApiEvent, aSignup } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, fakeQueue, SECRETS, senderHeaders, standardWebhookHeaders } from '../../helpers/ingest';
import { metricsRecorder } from '../../helpers/metrics-recorder';

function setup() {
  const recorder = metricsRecorder();
  const queue = fakeQueue();
  const handler = anIngestHandler({ queue: queue.queue, metrics: recorder.sink });
  const post = (body: string, { sign = true } = {}) => handler(anApiEvent(body, { headers: sign ? standardWebhookHeaders(body) : {} }));
  return { ...recorder, queue, post };
}

describe('ingest metrics', () => {
  it('counts accepted signups per source', async () => {
    const { post, sum } = setup();
    expect((await post(JSON.stringify([aSignup(), aSignup(), aSignup()]))).statusCode).toBe(202);
    expect(sum(Metric.SignupsAccepted, { Source: 'api' })).toBe(3);
    expect(sum(Metric.SignupsRefused)).toBe(0);
  });

  it('counts refusals by status, naming the source only once the request is authenticated', async () => {
    const { post, recorded } = setup();
    expect((await post(JSON.stringify({ email: 'nope' }))).statusCode).toBe(422);
    expect((await post(JSON.stringify(aSignup()), { sign: false })).statusCode).toBe(401);
    expect(recorded.filter((m) => m.name === Metric.SignupsRefused).map((m) => m.dimensions)).toEqual([
      { Source: 'api', Reason: '422' },
      { Source: 'unverified', Reason: '401' },
    ]);
  });

  it('counts the signups of a 2xx delivery that went to the dead-letter queue as unmappable, per source', async () => {
    // Arrange: a Kit delivery of two subscribers, one without an address the source maps.
    const recorder = metricsRecorder();
    const sources = parseIngestSources([{ id: 'kit-news', kind: 'kit' }]);
    const subscriber = (id: string, email: string | null) => ({
      id,
      type: 'subscriber.activated',
      data: { subscriber: { id: 1, first_name: 'Ada', email_address: email } },
    });
    const body = JSON.stringify({ delivery_id: 1, events: [subscriber('e1', 'ada@example.com'), subscriber('e2', null)] });
    const handler = anIngestHandler({
      queue: fakeQueue().queue,
      sources,
      secretJson: JSON.stringify({ api: SECRETS.api, 'kit-news': SECRETS.signing }),
      unmappable: { send: async () => undefined },
      metrics: recorder.sink,
    });

    // Act
    const response = await handler(anHttpEvent('/sources/kit-news', { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } }));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(recorder.sum(Metric.SignupsAccepted, { Source: 'kit-news' })).toBe(1);
    expect(recorder.recorded.filter((m) => m.name === Metric.SignupsUnmappable)).toEqual([
      expect.objectContaining({ value: 1, dimensions: { Source: 'kit-news' } }),
    ]);
  });

  it('counts no unmappable signups when a delivery has none', async () => {
    const { post, sum } = setup();
    expect((await post(JSON.stringify([aSignup()]))).statusCode).toBe(202);
    expect(sum(Metric.SignupsUnmappable)).toBe(0);
  });

  it('counts 503s when SQS is unavailable', async () => {
    const { post, queue, sum } = setup();
    queue.state.fail = true;
    expect((await post(JSON.stringify(aSignup()))).statusCode).toBe(503);
    expect(sum(Metric.QueueUnavailable)).toBe(1);
    expect(sum(Metric.SignupsAccepted)).toBe(0);
  });

  it("counts each configured source's authentic deliveries and refused signatures by SourceId, and nothing for a made-up source", async () => {
    // Arrange: a Kit source; deliveries signed right, a repeat, an event that is not a signup, a wrong signature, an unknown path.
    const recorder = metricsRecorder();
    const sources = parseIngestSources([{ id: 'kit-news', kind: 'kit', eventTypes: ['subscriber.activated'] }]);
    const handler = anIngestHandler({
      queue: fakeQueue().queue,
      sources,
      secretJson: JSON.stringify({ api: SECRETS.api, 'kit-news': SECRETS.signing }),
      metrics: recorder.sink,
    });
    const delivery = (type: string, id: string) =>
      JSON.stringify({ delivery_id: 1, events: [{ id, type, data: { subscriber: { id: 1, first_name: 'Ada', email_address: 'ada@example.com' } } }] });
    const post = (body: string, headers: Record<string, string> = senderHeaders('kit', body), path = '/sources/kit-news') =>
      handler(anHttpEvent(path, { body, headers: { 'content-type': 'application/json', ...headers } }));

    // Act
    const answers = [
      await post(delivery('subscriber.activated', 'e1')),
      await post(delivery('subscriber.tag_add', 'e2')),
      await post(delivery('subscriber.activated', 'e3'), { 'x-kit-signature': 't=1,v1=00' }),
      await post(delivery('subscriber.activated', 'e4'), { 'x-kit-signature': 't=1,v1=00' }),
      await post(delivery('subscriber.activated', 'e5'), senderHeaders('kit', '{}'), '/sources/made-up'),
    ].map((answer) => answer.statusCode);

    // Assert
    expect(answers).toEqual([202, 200, 401, 401, 401]);
    expect(recorder.sum(Metric.SourceDeliveries, { SourceId: 'kit-news' })).toBe(2);
    expect(recorder.sum(Metric.SourceAuthFailures, { SourceId: 'kit-news' })).toBe(2);
    const dimensions = recorder.recorded.filter((m) => m.name === Metric.SourceDeliveries || m.name === Metric.SourceAuthFailures).map((m) => m.dimensions);
    expect(new Set(dimensions.map((d) => JSON.stringify(d)))).toEqual(new Set([JSON.stringify({ SourceId: 'kit-news' })]));
  });
});
