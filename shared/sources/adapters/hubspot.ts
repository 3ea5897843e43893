import { createHash } from 'node:crypto';
import {
  checkSigningSecret,
  checkTimestamp,
  checkTokenSecret,
  decodeBase64Digest,
  decodeHexDigest,
  headerValue,
  hmacSha256,
  requireHeader,
  requireMatch,
  requireQueryToken,
  safeEqual,
} from '../auth';
import { SourceAuthError } from '../errors';
import { buildCandidate, type FieldDefaults, jsonPathLookup } from '../field-map';
import { checkBodySize, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import { type RawRequest, SIGNED_ONLY, type SourceAdapter, type SourceSignup } from '../source-adapter';
import type { SourceConfigOf } from '../source-config';
import { expectKind, signupsOrIgnore } from './common';

/**
 * HubSpot workflow "Send a webhook" action (docs/sources.md; preferred over the Webhooks API, whose events carry only an id).
 *
 * Auth, per the source's `auth`:
 * - 'signature' (the app's client secret): `X-HubSpot-Signature-v3` = base64 HMAC-SHA256 of
 *   method + requestUri + rawBody + timestamp, `X-HubSpot-Request-Timestamp` in ms within ±5 min.
 *   requestUri is the full URL HubSpot called, rebuilt from the configured `publicUrl` (API Gateway's
 *   rawPath differs behind a custom domain) with the request's query, and the characters in HubSpot's
 *   table (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B) decoded. Only v3 by default: v2
 *   (`X-HubSpot-Signature` = hex SHA-256 of secret + method + URI + body) signs no timestamp, so a
 *   captured request replays forever, and HubSpot sends it beside v3. A source opts in with
 *   `allowReplayableV2` (then v2 is checked only when no v3 signature is sent).
 * - 'api-key': the secret (at least 16 characters) in a header or query parameter of the operator's choosing.
 *
 * The body's shape is UNCONFIRMED (it depends on the property option): a contact object with
 * `properties.email.value` (v1 contact API), `properties.email` (v3 CRM object), or flat `email`; an
 * array is several contacts. fieldMap keys are dot paths (`properties.email`); `{ value }` wrappers are
 * unwrapped. Workflow payloads carry no event id.
 *
 * Webhooks API events are recognised by their shape, not one spelling: an `objectId` with an `eventId`
 * or a `subscriptionId`, and the type in `subscriptionType` (HubSpot's request-validation example and
 * the developer-platform docs) or `eventType` (the Webhooks API page's example batch). They carry no
 * email and would need an API call back to HubSpot, so they are ignored and counted (200, no dead letter).
 */

const DEFAULTS: FieldDefaults = {
  email: ['properties.email', 'email'],
  first_name: ['properties.firstname', 'firstname'],
  last_name: ['properties.lastname', 'lastname'],
  company: ['properties.company', 'company'],
  phone: ['properties.phone', 'phone', 'properties.mobilephone', 'mobilephone'],
  'address.address1': ['properties.address', 'address'],
  'address.city': ['properties.city', 'city'],
  'address.state_or_province': ['properties.state', 'state'],
  'address.postal_code': ['properties.zip', 'zip'],
  'address.country_code': ['properties.country', 'country'],
};

/** A Webhooks API event: an objectId with an eventId or subscriptionId, typed by subscriptionType or eventType. */
export function isWebhooksApiEvent(value: unknown): boolean {
  if (!isRecord(value) || ownValue(value, 'objectId') === undefined) return false;
  const identified = ownValue(value, 'eventId') !== undefined || ownValue(value, 'subscriptionId') !== undefined;
  const typed = typeof ownValue(value, 'subscriptionType') === 'string' || typeof ownValue(value, 'eventType') === 'string';
  return identified && typed;
}

const V3_DECODED = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

/** The URL HubSpot called: the configured public URL (if any) with this request's query string. */
export function hubspotRequestUrl(request: RawRequest, publicUrl: string | undefined): string {
  if (publicUrl === undefined) return request.publicUrl;
  const queryAt = request.publicUrl.indexOf('?');
  return publicUrl.replace(/[?#].*$/, '') + (queryAt >= 0 ? request.publicUrl.slice(queryAt) : '');
}

function verifySignature(request: RawRequest, source: SourceConfigOf<'hubspot'>, secret: string, now: Date, allowV2: boolean): void {
  const url = hubspotRequestUrl(request, source.publicUrl);
  const v3 = headerValue(request.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const timestamp = requireHeader(request.headers, 'x-hubspot-request-timestamp');
    checkTimestamp(timestamp, 'ms', now, source.toleranceSeconds);
    const uri = url.replace(V3_DECODED, (percentEscape) => String.fromCharCode(parseInt(percentEscape.slice(1), 16)));
    const expected = hmacSha256(secret, `${request.method}${uri}`, request.body, timestamp);
    const candidate = decodeBase64Digest(v3);
    requireMatch(candidate ? [candidate] : [], expected);
    return;
  }
  const v2 = headerValue(request.headers, 'x-hubspot-signature');
  const version = headerValue(request.headers, 'x-hubspot-signature-version')?.toLowerCase();
  if (v2 !== undefined && allowV2 && (version === undefined || version === 'v2')) {
    const expected = createHash('sha256').update(`${secret}${request.method}${url}`).update(request.body).digest();
    const candidate = decodeHexDigest(v2);
    requireMatch(candidate ? [candidate] : [], expected);
    return;
  }
  throw new SourceAuthError(
    'missing',
    'signature',
    allowV2 ? 'no HubSpot v3 or v2 signature' : 'no HubSpot v3 signature (v2 is not accepted: allowReplayableV2 is off)',
  );
}

export const hubspotAdapter: SourceAdapter = {
  kind: 'hubspot',
  secret: 'required',
  checkSecret: (secret, config) => {
    if (config?.kind === 'hubspot' && config.auth.type === 'api-key') checkTokenSecret(secret, 'hubspot api-key');
    else checkSigningSecret(secret, 'hubspot');
  },
  // An api-key travels in the configured header (default Authorization) or query parameter; v2/v3 signatures are not credentials.
  credentials: (config) => {
    const { auth } = expectKind(config, 'hubspot');
    if (auth.type !== 'api-key') return SIGNED_ONLY;
    return auth.queryParam !== undefined ? { ...SIGNED_ONLY, query: [auth.queryParam] } : { ...SIGNED_ONLY, headers: [auth.header ?? 'authorization'] };
  },
  decide(request, { source: config, secret, now, authenticated }) {
    const source = expectKind(config, 'hubspot');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    const { auth } = source;
    if (authenticated) {
      // Authenticated when received (a re-run from our dead-letter queue).
    } else if (auth.type === 'signature') {
      checkSigningSecret(secret, 'hubspot');
      verifySignature(request, source, secret, now, auth.allowReplayableV2);
    } else if (auth.queryParam !== undefined) {
      checkTokenSecret(secret, 'hubspot api-key');
      requireQueryToken(request.query, auth.queryParam, secret);
    } else {
      checkTokenSecret(secret, 'hubspot api-key');
      const key = requireHeader(request.headers, auth.header ?? 'authorization', 'token');
      if (!safeEqual(key, secret)) throw new SourceAuthError('invalid', 'token', 'api key mismatch');
    }

    const body = parseJsonBody(request);
    const contacts = Array.isArray(body) ? body : [body];
    const signups: SourceSignup[] = [];
    let events = 0;
    for (const contact of contacts) {
      // Webhooks API events hold only an objectId; non-objects hold no contact.
      if (isWebhooksApiEvent(contact)) events += 1;
      else if (isRecord(contact)) signups.push({ signup: buildCandidate(source, jsonPathLookup(contact), DEFAULTS) });
    }
    if (signups.length === 0 && events > 0) {
      return { type: 'ignore', reason: `${events} HubSpot Webhooks API event${events === 1 ? '' : 's'} (only an objectId, no contact)`, count: events };
    }
    return signupsOrIgnore(signups, 'no HubSpot contact in the body');
  },
};
