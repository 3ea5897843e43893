import { createLogger } from '../../../shared/logger';
import { anHttpEvent, anIngestHandler, fakeQueue, publicUrlOf, senderHeaders } from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';
import { captureWrite } from '../../helpers/log-capture';

/**
 * Each configured source has API Gateway routes of its own (infra/constructs/signup-ingress.ts, for its
 * own throttle): their route keys name the literal path and carry no path parameters, and the handler
 * still finds the source by the path.
 */
describe('a per-source route', () => {
  it('reaches the source named by the literal path, and its log line names that source', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('signup-ingest', {
      write: (line) => {
        captureWrite(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
    const ingest = anIngestHandler({ queue, logger });
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
    expect(lines.find((line) => line['message'] === 'signups accepted')).toMatchObject({ sourceId: 'typeform-src', accepted: 1 });
  });
});
