import { loadIngestConfig } from '../../../shared/config/ingest-config';
import { parseStackConfig } from '../../../shared/deployment/stack-config';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { anHttpEvent, anIngestHandler, fakeQueue, publicUrlOf, senderHeaders } from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/**
 * docs/security.md, "Guessable routes and a flood of bad signatures". As a review reproduced it on main:
 * a source's URL was /sources/<id> with an id like `shop`, so anyone could find a webhook's route and
 * flood it with badly signed requests; API Gateway counts a request against the route's throttle before
 * the function checks its signature, so the flood could use up the bucket Shopify's real deliveries
 * need (and Shopify deletes a subscription after repeated failures). Now a webhook's URL is
 * /sources/<id>-<routeToken>: the bare id is answered like an unknown source, and only the sender knows
 * the route whose throttle it uses. (The per-route throttles themselves: test/infra/public-forms.test.ts.)
 */

const ROUTE_TOKEN = 'k3j9x8w2q7v4m1n6p0r5';
const SHOP = { id: 'shop', kind: 'shopify', routeToken: ROUTE_TOKEN } as const;

function setUp() {
  const { queue, messages } = fakeQueue();
  const metrics = metricsRecorder();
  const ingest = anIngestHandler({ queue, sources: parseIngestSources([SHOP]), metrics: metrics.sink });
  const delivery = DELIVERIES.shopify;
  /** A Shopify delivery signed with the source's real secret, posted to `path`. */
  const signed = (path: string, options: { routeKey?: string; badSignature?: boolean } = {}) => {
    const headers: Record<string, string> = {
      'content-type': delivery.contentType,
      ...senderHeaders('shopify', delivery.body, publicUrlOf(path)),
      ...delivery.headers,
    };
    if (options.badSignature) headers['x-shopify-hmac-sha256'] = Buffer.alloc(32, 1).toString('base64');
    const event = anHttpEvent(path, { body: delivery.body, headers, ...(options.routeKey ? { routeKey: options.routeKey } : {}) });
    if (options.routeKey) delete event.pathParameters;
    return ingest(event);
  };
  return { signed, messages, metrics };
}

describe("a webhook's route", () => {
  it('is not its bare id: a correctly signed delivery to /sources/shop is answered 401 like an unknown source, nothing queued', async () => {
    // Arrange
    const { signed, messages } = setUp();

    // Act
    const guessed = await signed('/sources/shop');

    // Assert
    expect(guessed.statusCode).toBe(401);
    expect(JSON.parse(guessed.body)).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(messages).toHaveLength(0);
  });

  it('is /sources/<id>-<routeToken>: the same delivery is queued there, on the generic and on its own literal route, counted under the id', async () => {
    // Arrange
    const { signed, messages, metrics } = setUp();
    const path = `/sources/shop-${ROUTE_TOKEN}`;

    // Act
    const generic = await signed(path);
    const literal = await signed(path, { routeKey: `POST ${path}` });

    // Assert
    expect([generic.statusCode, literal.statusCode]).toEqual([202, 202]);
    expect(messages).toHaveLength(2);
    // The metric dimension stays the id: no token in CloudWatch, and a new token does not start a new series.
    expect(metrics.sum('SignupsAccepted', { Source: 'shop' })).toBe(2);
  });

  it('answers a flood of bad signatures and wrong tokens 401 without queueing, and the signed delivery on the right route still goes through', async () => {
    // Arrange
    const { signed, messages } = setUp();
    const right = `/sources/shop-${ROUTE_TOKEN}`;

    // Act: what an attacker who does not know the token can send, then the real sender
    const flood = [];
    for (let n = 0; n < 25; n += 1) flood.push(await signed(`/sources/shop-${ROUTE_TOKEN.slice(0, -2)}${String(n).padStart(2, '0')}`));
    for (let n = 0; n < 25; n += 1) flood.push(await signed('/sources/shop', { badSignature: true }));
    const real = await signed(right);

    // Assert
    expect(flood.every((answer) => answer.statusCode === 401)).toBe(true);
    expect(real.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
  });
});

describe('a webhook source without a route token', () => {
  it('is refused at synth and at cold start, saying which command writes one', () => {
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [{ id: 'shop', kind: 'shopify' }] })).toThrow(
      /signupSync\.sources\[0\]\.routeToken: a webhook source needs a route token .*npx signup-sync route-tokens/,
    );
    expect(() =>
      loadIngestConfig({
        SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
        SOURCES_SECRET: 'sources',
        DELIVERY_LEDGER_TABLE: 'deliveries',
        SOURCES_CONFIG: JSON.stringify([{ id: 'shop', kind: 'shopify' }]),
      }),
    ).toThrow(/SOURCES_CONFIG: sources\[0\]\.routeToken: a webhook source needs a route token/);
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [SHOP] })).not.toThrow();
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [{ ...SHOP, routeToken: 'short' }] })).toThrow(/routeToken: must be 16-64 lower-case/);
  });
});
