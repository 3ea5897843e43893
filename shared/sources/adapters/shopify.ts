import { checkSigningSecret, decodeBase64Digest, headerValue, hmacSha256, requireHeader, requireMatch, sha256Hex } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup, jsonPathLookup, toEventId, withMarketingConsent } from '../field-map';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody, stringValue } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, quoted, requireRecord, signedOnly } from './common';

/**
 * Shopify customer webhooks (docs/sources.md): `X-Shopify-Hmac-Sha256` = base64
 * HMAC-SHA256(app client secret, raw body), no timestamp. Topics (`X-Shopify-Topic`):
 * - `customers/create`: a signup; `email_marketing_consent.state: "subscribed"` (when the payload still
 *   carries it) is marketing consent. A storefront newsletter box creates a customer with null names:
 *   the nameless policy decides what that becomes (docs/subscribers.md);
 * - `customers/update` and `customers_email_marketing_consent/update`: only the newsletter consent is
 *   read: `subscribed` -> a newsletter subscription (email only), `unsubscribed` -> an opt-out, any other
 *   state is ignored (a profile edit does not create or change a customer).
 * Other topics are ignored, and so is a customer without an email (Shopify allows phone-only
 * customers; refusing it would only make Shopify retry).
 *
 * Only the body is signed (no timestamp either), so the delivery's identity and time come from it, never
 * from a header anyone can change (docs/trust.md): the delivery id and the event id are the SHA-256 of the
 * raw body (`keyedByBody`; a retry carries the original payload, so it repeats it exactly), and the event time is the
 * body's own `created_at` (customers/create) or `email_marketing_consent.consent_updated_at`, else
 * `updated_at` (the consent topics). `X-Shopify-Webhook-Id`, `X-Shopify-Event-Id` and
 * `X-Shopify-Triggered-At` are not read: a captured delivery replayed under made-up ids and times is
 * the same delivery, with the same time.
 *
 * fieldMap keys are dot paths in the customer (`note`, `tags`); `@address.<key>` reads the default
 * address (else the first of `addresses`).
 */

const CONSENT_TOPICS: ReadonlySet<string> = new Set(['customers/update', 'customers_email_marketing_consent/update']);

/** The delivery's id: the SHA-256 of the signed body. */
const bodyId = (body: Buffer): string => `sha256:${sha256Hex(body)}`;

/** `email_marketing_consent.state`, lower-cased (webhooks send `subscribed`, `unsubscribed`, `not_subscribed`, `pending`). */
function marketingState(customer: Readonly<Record<string, unknown>>): string | undefined {
  const consent = ownValue(customer, 'email_marketing_consent');
  const state = isRecord(consent) ? stringValue(ownValue(consent, 'state')) : undefined;
  return state?.toLowerCase();
}

const address = (key: string): string[] => [`@address.${key}`];
const DEFAULTS: FieldDefaults = {
  email: ['email'],
  first_name: ['first_name'],
  last_name: ['last_name'],
  phone: ['phone'],
  company: address('company'),
  'address.first_name': address('first_name'),
  'address.last_name': address('last_name'),
  'address.company': address('company'),
  'address.address1': address('address1'),
  'address.address2': address('address2'),
  'address.city': address('city'),
  'address.state_or_province': address('province'),
  'address.postal_code': address('zip'),
  'address.country_code': address('country_code'),
  'address.phone': address('phone'),
};

function customerLookup(customer: Readonly<Record<string, unknown>>): FieldLookup {
  const addresses = ownValue(customer, 'addresses');
  const defaultAddress = ownValue(customer, 'default_address') ?? (Array.isArray(addresses) ? addresses[0] : undefined);
  const inCustomer = jsonPathLookup(customer);
  const inAddress = jsonPathLookup(isRecord(defaultAddress) ? defaultAddress : {});
  return (key) => (key.startsWith('@address.') ? inAddress(key.slice('@address.'.length)) : inCustomer(key));
}

export const shopifyAdapter: SourceAdapter = {
  kind: 'shopify',
  secret: 'required',
  checkSecret: (secret) => checkSigningSecret(secret, 'shopify'),
  credentials: signedOnly,
  // Shopify signs the body and nothing else: the ledger keys a delivery by its body, never by a header.
  keyedByBody: true,
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'shopify');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (!authenticated) {
      checkSigningSecret(secret, 'shopify');
      const digest = decodeBase64Digest(requireHeader(request.headers, 'x-shopify-hmac-sha256'));
      requireMatch(digest ? [digest] : [], hmacSha256(secret, request.body));
    }

    const topic = headerValue(request.headers, 'x-shopify-topic');
    if (topic !== 'customers/create' && !(topic !== undefined && CONSENT_TOPICS.has(topic))) {
      return ignore(`Shopify topic ${quoted(topic)} is not customers/create or a consent update`);
    }
    const customer = requireRecord(parseJsonBody(request), 'body');
    // The consent topic names the address `email_address`; the customer topics `email`.
    const email = stringValue(ownValue(customer, 'email')) ?? stringValue(ownValue(customer, 'email_address'));
    if (email === undefined) return ignore('the Shopify customer has no email');
    const eventId = bodyId(request.body);
    const state = marketingState(customer);
    if (topic === 'customers/create') {
      const occurredAt = isoTime(ownValue(customer, 'created_at') ?? ownValue(customer, 'updated_at'));
      const candidate = buildCandidate(source, customerLookup(customer), DEFAULTS, eventId);
      return {
        type: 'signups',
        signups: [{ signup: state === 'subscribed' ? withMarketingConsent(candidate) : candidate, ...(occurredAt ? { occurredAt } : {}) }],
      };
    }
    if (state !== 'subscribed' && state !== 'unsubscribed')
      return ignore(`Shopify ${quoted(topic)} without a subscribed or unsubscribed email marketing state`);
    const consent = ownValue(customer, 'email_marketing_consent');
    const occurredAt = isoTime((isRecord(consent) ? ownValue(consent, 'consent_updated_at') : undefined) ?? ownValue(customer, 'updated_at'));
    const id = toEventId(eventId);
    const signup = state === 'unsubscribed' ? { email, opt_out: true } : { email, consent: { marketing: true } };
    return { type: 'signups', signups: [{ signup: { ...signup, ...(id ? { event_id: id } : {}) }, ...(occurredAt ? { occurredAt } : {}) }] };
  },
};
