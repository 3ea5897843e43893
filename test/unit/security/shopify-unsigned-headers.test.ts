import { createHmac } from 'node:crypto';
import { DELIVERY_REPEATED_HEADER as DELIVERY_REPEATED } from '../../../shared/ingest/ingest-signups';
import { signupMessageSchema } from '../../../shared/signup/signup-schema';
import { startTestLedger, type TestLedger } from '../../helpers/delivery-ledger';
import { anHttpEvent, anIngestHandler, fakeQueue, SECRETS, sourceIdOf } from '../../helpers/ingest';

/**
 * Attack (docs/security.md, "Replaying a Shopify delivery under made-up ids and times"): Shopify's HMAC
 * covers only the body and carries no timestamp. The ledger key was `X-Shopify-Webhook-Id` and the event
 * time `X-Shopify-Triggered-At`, headers anyone can change, so one captured delivery was re-enqueued
 * under every made-up id, with the attacker's event time. Now the key and the event id are the SHA-256
 * of the signed body, and the event time is the body's own, so a replay is the same delivery.
 */

jest.setTimeout(20_000);

let ledgers: TestLedger;
beforeAll(async () => {
  ledgers = await startTestLedger();
});
afterAll(() => ledgers.close());

const CONSENT_TOPIC = 'customers_email_marketing_consent/update';
const SHOPIFY_PATH = `/sources/${sourceIdOf('shopify')}`;

/** A consent update exactly as Shopify signs it: HMAC-SHA256 of the raw body, base64. */
function capturedConsentUpdate(email: string, consentUpdatedAt: string) {
  const body = JSON.stringify({
    customer_id: 706405506930370000,
    email_address: email,
    email_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: consentUpdatedAt },
  });
  const hmac = createHmac('sha256', SECRETS.signing).update(body).digest('base64');
  return { body, signed: { 'content-type': 'application/json', 'x-shopify-hmac-sha256': hmac, 'x-shopify-topic': CONSENT_TOPIC } };
}

const unsignedHeaders = (id: string, triggeredAt: string) => ({
  'x-shopify-webhook-id': `wh-${id}`,
  'x-shopify-event-id': `ev-${id}`,
  'x-shopify-triggered-at': triggeredAt,
});

describe('a captured Shopify delivery replayed with made-up unsigned headers', () => {
  it('is folded as a repeat whatever X-Shopify-Webhook-Id, X-Shopify-Event-Id and X-Shopify-Topic say: one message', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const { body, signed } = capturedConsentUpdate('replayed@example.com', '2026-07-29T10:00:00-04:00');
    const first = await ingest(anHttpEvent(SHOPIFY_PATH, { body, headers: { ...signed, ...unsignedHeaders('original', '2026-07-29T14:00:00Z') } }));

    // Act: the attacker replays the captured body and signature under five made-up ids and times (the
    // last one under another topic, which is not signed either).
    const replays = [];
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      const topic = id === 'e' ? { 'x-shopify-topic': 'customers/update' } : {};
      replays.push(
        await ingest(anHttpEvent(SHOPIFY_PATH, { body, headers: { ...signed, ...unsignedHeaders(`made-up-${id}`, '2099-01-01T00:00:00Z'), ...topic } })),
      );
    }

    // Assert
    expect(first.statusCode).toBe(202);
    expect(replays.map((replay) => [replay.statusCode, replay.headers[DELIVERY_REPEATED]])).toEqual(Array(5).fill([202, 'true']));
    expect(replays.map((replay) => JSON.parse(replay.body).ids)).toEqual(Array(5).fill(JSON.parse(first.body).ids));
    expect(messages).toHaveLength(1);
  });

  it("takes the event time from the signed body's consent_updated_at, never from X-Shopify-Triggered-At", async () => {
    // Arrange: the first copy to arrive already carries the attacker's event time in the header.
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const { body, signed } = capturedConsentUpdate('timed@example.com', '2026-07-29T10:00:00-04:00');

    // Act
    const response = await ingest(anHttpEvent(SHOPIFY_PATH, { body, headers: { ...signed, ...unsignedHeaders('x', '2026-07-29T14:32:00Z') } }));

    // Assert
    expect(response.statusCode).toBe(202);
    const message = signupMessageSchema.parse(messages[0]);
    expect(message.signup.occurred_at).toBe('2026-07-29T14:00:00.000Z');
    expect(message.signup.event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a customers/create replayed with a made-up time keeps the body created_at, under the same key', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const body = JSON.stringify({ id: 1, email: 'created@example.com', first_name: 'Bob', last_name: 'Biller', created_at: '2026-07-29T09:00:00-04:00' });
    const signed = {
      'content-type': 'application/json',
      'x-shopify-hmac-sha256': createHmac('sha256', SECRETS.signing).update(body).digest('base64'),
      'x-shopify-topic': 'customers/create',
    };

    // Act
    await ingest(anHttpEvent(SHOPIFY_PATH, { body, headers: { ...signed, ...unsignedHeaders('1', '2026-07-29T14:00:00Z') } }));
    const replay = await ingest(anHttpEvent(SHOPIFY_PATH, { body, headers: { ...signed, ...unsignedHeaders('2', '2099-01-01T00:00:00Z') } }));

    // Assert
    expect(replay.headers[DELIVERY_REPEATED]).toBe('true');
    expect(messages).toHaveLength(1);
    expect(signupMessageSchema.parse(messages[0]).signup.occurred_at).toBe('2026-07-29T13:00:00.000Z');
  });
});
