import { checkSigningSecret, decodeBase64Digest, headerValue, hmacSha256, requireHeader, requireMatch } from '../auth';
import { buildCandidate, jsonPathLookup, type FieldDefaults, type FieldLookup } from '../field-map';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody, stringValue } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, quoted, requireRecord } from './common';

/**
 * Shopify `customers/create` webhooks (reference/sources.md §11): `X-Shopify-Hmac-Sha256` = base64
 * HMAC-SHA256(app client secret, raw body), no timestamp. Other topics (`X-Shopify-Topic`) are
 * ignored, and so is a customer without an email (Shopify allows phone-only customers; refusing it
 * would only make Shopify retry). The event id is `X-Shopify-Event-Id` (one per event), else
 * `X-Shopify-Webhook-Id` (stable across retries, 2nd source).
 *
 * fieldMap keys are dot paths in the customer (`note`, `tags`); `@address.<key>` reads the default
 * address (else the first of `addresses`). Since API 2025-01 consent is not in this payload.
 */

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
  decide(request, { source: config, secret }) {
    const source = expectKind(config, 'shopify');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    checkSigningSecret(secret, 'shopify');
    const digest = decodeBase64Digest(requireHeader(request.headers, 'x-shopify-hmac-sha256'));
    requireMatch(digest ? [digest] : [], hmacSha256(secret, request.body));

    const topic = headerValue(request.headers, 'x-shopify-topic');
    if (topic !== 'customers/create') return ignore(`Shopify topic ${quoted(topic)} is not customers/create`);
    const customer = requireRecord(parseJsonBody(request), 'body');
    if (stringValue(ownValue(customer, 'email')) === undefined) return ignore('the Shopify customer has no email');
    const eventId = headerValue(request.headers, 'x-shopify-event-id') ?? headerValue(request.headers, 'x-shopify-webhook-id');
    const occurredAt = isoTime(headerValue(request.headers, 'x-shopify-triggered-at') ?? ownValue(customer, 'created_at'));
    return {
      type: 'signups',
      signups: [{ signup: buildCandidate(source, customerLookup(customer), DEFAULTS, eventId), ...(occurredAt ? { occurredAt } : {}) }],
    };
  },
};
