import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { createLogger } from '../../../shared/logger';
import { Metric } from '../../../shared/observability/metric-names';
import { anApiEvent, aSignup } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, fakeQueue, SECRETS, senderHeaders, standardWebhookHeaders } from '../../helpers/ingest';
import { captureWrite } from '../../helpers/log-capture';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/** A logger whose lines are kept as parsed JSON (and captured for the log scan). */
function keptLogger() {
  const entries: Record<string, unknown>[] = [];
  const logger = createLogger('signup-ingest', {
    level: 'info',
    write: (line) => {
      captureWrite(line);
      entries.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, entries };
}

function setup() {
  const recorder = metricsRecorder();
  const queue = fakeQueue();
  const { logger, entries } = keptLogger();
  const handler = anIngestHandler({ queue: queue.queue, metrics: recorder.sink, logger });
  const post = (body: string, { sign = true } = {}) => handler(anApiEvent(body, { headers: sign ? standardWebhookHeaders(body) : {} }));
  return { ...recorder, queue, post, entries };
}

describe('ingest metrics', () => {
  it('counts 503s (QueueUnavailableAlarm reads them)', async () => {
    const { post, queue, recorded } = setup();
    queue.state.fail = true;
    expect((await post(JSON.stringify(aSignup()))).statusCode).toBe(503);
    expect(recorded).toEqual([{ name: Metric.QueueUnavailable, unit: 'Count', value: 1, dimensions: {} }]);
  });

  it('emits no metric for accepted or refused requests: their log lines carry the counts, by source and status', async () => {
    // Act
    const { post, recorded, entries } = setup();
    const answers = [
      await post(JSON.stringify([aSignup(), aSignup(), aSignup()])),
      await post(JSON.stringify({ email: 'nope' })),
      await post(JSON.stringify(aSignup()), { sign: false }),
    ];

    // Assert
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 422, 401]);
    expect(recorded).toEqual([]);
    expect(entries.find((entry) => entry['message'] === 'signups accepted')).toMatchObject({ sourceId: 'api', accepted: 3 });
    expect(entries.filter((entry) => entry['message'] === 'request refused').map((entry) => [entry['status'], entry['sourceId']])).toEqual([
      [422, 'api'],
      [401, 'api'],
    ]);
  });

  it('logs the signups of a 2xx delivery that went to the dead-letter queue as unmappable, under the source', async () => {
    // Arrange: a Kit delivery of two subscribers, one without an address the source maps.
    const recorder = metricsRecorder();
    const { logger, entries } = keptLogger();
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
      logger,
    });

    // Act
    const response = await handler(anHttpEvent('/sources/kit-news', { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } }));

    // Assert
    expect(response.statusCode).toBe(202);
    // Only the source's delivery count (its silence alarm's metric); the rest is in the log lines.
    expect(recorder.recorded).toEqual([{ name: 'SourceDeliveries', unit: 'Count', value: 1, dimensions: { SourceId: 'kit-news' } }]);
    expect(entries.find((entry) => entry['message'] === 'unmappable signups dead-lettered')).toMatchObject({ sourceId: 'kit-news', deadLettered: 1 });
    expect(entries.find((entry) => entry['message'] === 'signups accepted')).toMatchObject({ sourceId: 'kit-news', accepted: 1 });
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
