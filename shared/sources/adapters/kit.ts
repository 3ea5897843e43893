import { checkSigningSecret, checkTimestamp, decodeHexDigest, hmacSha256, requireHeader, requireMatch } from '../auth';
import { SourceAuthError } from '../errors';
import { buildCandidate, type FieldDefaults, jsonPathLookup, toOptOut, withMarketingConsent } from '../field-map';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import type { RawRequest, SourceAdapter, SourceSignup } from '../source-adapter';
import { expectKind, recordsOf, requireRecord, signedOnly, signupsOrIgnore } from './common';

/**
 * Kit (ConvertKit) webhook endpoints (docs/sources.md): `X-Kit-Signature: t=<unix s>,v1=<hex>`
 * with one v1 per valid secret during rotation; v1 = HMAC-SHA256(secret, `${t}.${rawBody}`); ±5 min.
 * The body is `{ delivery_id, events: [...] }` with 1 to 100 events; events whose `type` is in
 * `eventTypes` (default subscriber.activated and subscriber.subscribed_to_form) become signups, each
 * with its own `id` as the event id, and with marketing consent (a Kit subscriber is a newsletter
 * subscriber). `subscriber.unsubscribed` becomes an opt-out (docs/subscribers.md).
 *
 * fieldMap keys are paths in `data.subscriber` (`first_name`, `fields.surname`). Kit has no last-name
 * field: the defaults try the custom fields `last_name`, `company` and `phone`, and the source's
 * lastNamePolicy decides the rest. The legacy unsigned `{ subscriber }` webhooks are not supported.
 */

const DEFAULTS: FieldDefaults = {
  email: ['email_address'],
  first_name: ['first_name'],
  last_name: ['fields.last_name'],
  company: ['fields.company'],
  phone: ['fields.phone'],
};

const KIT_UNSUBSCRIBED = 'subscriber.unsubscribed';

function verify(request: RawRequest, secret: string, now: Date, toleranceSeconds: number): void {
  const header = requireHeader(request.headers, 'x-kit-signature');
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const element of header.split(',')) {
    const equals = element.indexOf('=');
    if (equals <= 0) continue;
    const name = element.slice(0, equals).trim();
    const value = element.slice(equals + 1).trim();
    if (name === 't') timestamp ??= value;
    if (name === 'v1') {
      const digest = decodeHexDigest(value);
      if (digest) signatures.push(digest);
    }
  }
  if (timestamp === undefined) throw new SourceAuthError('invalid', 'signature', 'no t= in X-Kit-Signature');
  checkTimestamp(timestamp, 's', now, toleranceSeconds);
  requireMatch(signatures, hmacSha256(secret, `${timestamp}.`, request.body));
}

export const kitAdapter: SourceAdapter = {
  kind: 'kit',
  secret: 'required',
  checkSecret: (secret) => checkSigningSecret(secret, 'kit'),
  credentials: signedOnly,
  decide(request, { source: config, secret, now, authenticated }) {
    const source = expectKind(config, 'kit');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (!authenticated) {
      checkSigningSecret(secret, 'kit');
      verify(request, secret, now, source.toleranceSeconds);
    }

    const body = requireRecord(parseJsonBody(request), 'body');
    const signups: SourceSignup[] = [];
    for (const event of recordsOf(ownValue(body, 'events'), 'events')) {
      const type = ownValue(event, 'type');
      const optOut = type === KIT_UNSUBSCRIBED;
      if (typeof type !== 'string' || (!optOut && !source.eventTypes.includes(type))) continue;
      const data = ownValue(event, 'data');
      const subscriber = isRecord(data) ? ownValue(data, 'subscriber') : undefined;
      if (!isRecord(subscriber)) continue;
      const occurredAt = isoTime(ownValue(event, 'created'));
      const candidate = buildCandidate(source, jsonPathLookup(subscriber), DEFAULTS, ownValue(event, 'id'));
      signups.push({
        signup: optOut ? toOptOut(candidate) : withMarketingConsent(candidate),
        ...(occurredAt ? { occurredAt } : {}),
      });
    }
    return signupsOrIgnore(signups, 'no Kit event of a configured type');
  },
};
