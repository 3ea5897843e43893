import { createHash } from 'node:crypto';
import { signupSchema } from '../../../shared/signup/signup-schema';
import { SHOPIFY_CUSTOMER } from './examples';
import { decide, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const source = makeSource('shopify');
const signed = (body: string, headers: Record<string, string> = {}) =>
  makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('shopify', Buffer.from(body)), ...headers } });
/** The event id of a Shopify delivery: the SHA-256 of its signed body, never an unsigned header. */
const bodyId = (body: string) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

describe('shopify adapter', () => {
  it('maps a customers/create customer with its default address, and it validates', () => {
    // Act
    const [first] = signupsOf(
      decide(
        signed(json(SHOPIFY_CUSTOMER), {
          'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
          'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        }),
        source,
        SECRETS.signing,
      ),
    );
    // Assert
    expect(first).toEqual({
      signup: {
        email: 'bob@biller.com',
        first_name: 'Bob',
        last_name: 'Biller',
        company: 'Biller Inc',
        phone: '+13125551212',
        address: {
          first_name: 'Bob',
          last_name: 'Biller',
          company: 'Biller Inc',
          address1: '151 O Connor Street',
          address2: 'Suite 400',
          city: 'Ottawa',
          state_or_province: 'Ontario',
          postal_code: 'K2P 2L8',
          country_code: 'CA',
          phone: '555-625-1199',
        },
        event_id: bodyId(json(SHOPIFY_CUSTOMER)),
      },
      occurredAt: '2026-07-29T14:32:10.000Z',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('keys on the signed body whatever the unsigned headers say, and falls back to the first address', () => {
    // Arrange
    const customer = { ...SHOPIFY_CUSTOMER, default_address: null, addresses: [SHOPIFY_CUSTOMER.default_address] };
    // Act
    const [first] = signupsOf(decide(signed(json(customer), { 'x-shopify-webhook-id': 'b54557e4' }), source, SECRETS.signing));
    const [again] = signupsOf(
      decide(
        signed(json(customer), { 'x-shopify-webhook-id': 'made-up', 'x-shopify-event-id': 'made-up', 'x-shopify-triggered-at': '2099-01-01T00:00:00Z' }),
        source,
        SECRETS.signing,
      ),
    );
    // Assert
    expect(first?.signup).toMatchObject({ event_id: bodyId(json(customer)), address: { city: 'Ottawa' } });
    expect(again).toEqual(first);
  });

  it('reads email_marketing_consent.state "subscribed" on customers/create as marketing consent, names null or not', () => {
    // Arrange: a storefront newsletter box creates a customer without names.
    const newsletter = {
      ...SHOPIFY_CUSTOMER,
      first_name: null,
      last_name: null,
      default_address: null,
      email_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in' },
    };
    // Act
    const [first] = signupsOf(decide(signed(json(newsletter), { 'x-shopify-event-id': 'ev-1' }), source, SECRETS.signing));
    const [notSubscribed] = signupsOf(
      decide(signed(json({ ...SHOPIFY_CUSTOMER, email_marketing_consent: { state: 'not_subscribed' } })), source, SECRETS.signing),
    );
    // Assert
    expect(first?.signup).toEqual({ email: 'bob@biller.com', phone: '+13125551212', consent: { marketing: true }, event_id: bodyId(json(newsletter)) });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
    expect(notSubscribed?.signup['consent']).toBeUndefined();
  });

  it.each(['customers/update', 'customers_email_marketing_consent/update'])(
    'turns a %s to "unsubscribed" into an opt-out and to "subscribed" into a subscription',
    (topic) => {
      // Arrange
      const payload = (state: string) =>
        topic === 'customers/update'
          ? { ...SHOPIFY_CUSTOMER, email_marketing_consent: { state, consent_updated_at: '2026-07-30T10:00:00Z' } }
          : { customer_id: 1, email_address: 'bob@biller.com', email_marketing_consent: { state, consent_updated_at: '2026-07-30T10:00:00Z' } };
      const headers = { 'x-shopify-topic': topic, 'x-shopify-event-id': 'ev-2' };
      // Act
      const [optOut] = signupsOf(decide(signed(json(payload('unsubscribed')), headers), source, SECRETS.signing));
      const [subscribe] = signupsOf(decide(signed(json(payload('subscribed')), headers), source, SECRETS.signing));
      const pending = decide(signed(json(payload('pending')), headers), source, SECRETS.signing);
      // Assert
      expect(optOut).toEqual({
        signup: { email: 'bob@biller.com', opt_out: true, event_id: bodyId(json(payload('unsubscribed'))) },
        occurredAt: '2026-07-30T10:00:00.000Z',
      });
      expect(subscribe?.signup).toEqual({ email: 'bob@biller.com', consent: { marketing: true }, event_id: bodyId(json(payload('subscribed'))) });
      expect(pending.type).toBe('ignore');
    },
  );

  it('ignores other topics and customers without an email', () => {
    // Act
    const otherTopic = decide(signed(json(SHOPIFY_CUSTOMER), { 'x-shopify-topic': 'orders/create' }), source, SECRETS.signing);
    const phoneOnly = decide(signed(json({ ...SHOPIFY_CUSTOMER, email: null })), source, SECRETS.signing);
    // Assert
    expect(otherTopic).toEqual({ type: 'ignore', reason: 'Shopify topic "orders/create" is not customers/create or a consent update' });
    expect(phoneOnly).toEqual({ type: 'ignore', reason: 'the Shopify customer has no email' });
  });
});
