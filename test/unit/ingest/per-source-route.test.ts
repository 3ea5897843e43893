import { anHttpEvent, anIngestHandler, fakeQueue, publicUrlOf, senderHeaders } from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/**
 * Each configured source has API Gateway routes of its own (infra/constructs/signup-ingress.ts, for its
 * own throttle): their route keys name the literal path and carry no path parameters, and the handler
 * still finds the source by the path.
 */
describe('a per-source route', () => {
  it('reaches the source named by the literal path, and its metrics name that source', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const metrics = metricsRecorder();
    const ingest = anIngestHandler({ queue, metrics: metrics.sink });
    const delivery = DELIVERIES.typeform;
    const path = '/sources/typeform-src';
    const event = anHttpEvent(path, {
      routeKey: `POST ${path}`,
      body: delivery.body,
      headers: { 'content-type': delivery.contentType, ...senderHeaders('typeform', delivery.body, publicUrlOf(path)) },
    });
    delete event.pathParameters;

    // Act
    const response = await ingest(event);

    // Assert
    expect(event.routeKey).toBe('POST /sources/typeform-src');
    expect(response.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
    // Counted for the source, not for POST /signups.
    expect(metrics.sum('SignupsAccepted', { Source: 'typeform-src' })).toBe(1);
  });
});
