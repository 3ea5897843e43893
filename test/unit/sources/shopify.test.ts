import { signupSchema } from '../../../shared/signup/signup-schema';
import { SHOPIFY_CUSTOMER } from './examples';
import { decide, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const source = makeSource('shopify');
const signed = (body: string, headers: Record<string, string> = {}) =>
  makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('shopify', Buffer.from(body)), ...headers } });

describe('shopify adapter', () => {
  it('maps a customers/create customer with its default address, and it validates', () => {
    // Act
    const [first] = signupsOf(
      decide(signed(json(SHOPIFY_CUSTOMER), { 'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5', 'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' }), source, SECRETS.signing),
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
        event_id: '98880550-7158-44d4-b7cd-2c97c8a091b5',
      },
      occurredAt: '2026-07-29T14:32:10.000Z',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('falls back to X-Shopify-Webhook-Id and to the first address', () => {
    // Arrange
    const customer = { ...SHOPIFY_CUSTOMER, default_address: null, addresses: [SHOPIFY_CUSTOMER.default_address] };
    // Act
    const [first] = signupsOf(decide(signed(json(customer), { 'x-shopify-webhook-id': 'b54557e4' }), source, SECRETS.signing));
    // Assert
    expect(first?.signup).toMatchObject({ event_id: 'b54557e4', address: { city: 'Ottawa' } });
  });

  it('ignores other topics and customers without an email', () => {
    // Act
    const otherTopic = decide(signed(json(SHOPIFY_CUSTOMER), { 'x-shopify-topic': 'customers/update' }), source, SECRETS.signing);
    const phoneOnly = decide(signed(json({ ...SHOPIFY_CUSTOMER, email: null })), source, SECRETS.signing);
    // Assert
    expect(otherTopic).toEqual({ type: 'ignore', reason: 'Shopify topic "customers/update" is not customers/create' });
    expect(phoneOnly).toEqual({ type: 'ignore', reason: 'the Shopify customer has no email' });
  });
});
