import { Metric } from '../../../shared/observability/metric-names';
import { anApiEvent, aSignup } from '../../helpers/events';
import { anIngestHandler, fakeQueue, standardWebhookHeaders } from '../../helpers/ingest';
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

  it('counts 503s when SQS is unavailable', async () => {
    const { post, queue, sum } = setup();
    queue.state.fail = true;
    expect((await post(JSON.stringify(aSignup()))).statusCode).toBe(503);
    expect(sum(Metric.QueueUnavailable)).toBe(1);
    expect(sum(Metric.SignupsAccepted)).toBe(0);
  });
});
