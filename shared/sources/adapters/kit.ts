import { checkSigningSecret, checkTimestamp, checkTokenSecret, decodeHexDigest, hmacSha256, requireHeader, requireMatch, requireQueryToken } from '../auth';
import { SourceAuthError } from '../errors';
import { buildCandidate, type FieldDefaults, jsonPathLookup, toOptOut, withMarketingConsent } from '../field-map';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import { type AdapterDecision, type RawRequest, SIGNED_ONLY, type SourceAdapter, type SourceSignup } from '../source-adapter';
import type { SourceConfigOf } from '../source-config';
import { expectKind, ignore, quoted, recordsOf, requireRecord, signupsOrIgnore } from './common';

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
 * lastNamePolicy decides the rest.
 *
 * Legacy webhooks (/v4/webhooks and v3, which Kit keeps with no plan to remove them) are unsigned and
 * their body is only `{ "subscriber": {...} }`: the event is chosen per webhook URL and not named in
 * the body. A source with `auth: "url-token"` accepts them with its token in the URL (`tokenParam`,
 * compared in constant time, as for Mailchimp). The subscriber's `state` says what happened: `active`
 * is a subscription (marketing consent), `cancelled` an opt-out; other states (bounced, complained,
 * inactive) are ignored. They carry no event id and no event time: the delivery ledger folds a repeat
 * by its body, so a re-subscription with a body identical to an earlier one within the ledger's
 * retention is answered as a repeat (docs/sources.md says so).
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

/** A legacy webhook's `{ subscriber }`: a subscription, an opt-out, or ignored, by the subscriber's state. */
function legacyDelivery(source: SourceConfigOf<'kit'>, subscriber: Readonly<Record<string, unknown>>): AdapterDecision {
  const state = ownValue(subscriber, 'state');
  if (state !== 'active' && state !== 'cancelled') return ignore(`Kit legacy webhook for a subscriber in state ${quoted(state)}`);
  const candidate = buildCandidate(source, jsonPathLookup(subscriber), DEFAULTS);
  return { type: 'signups', signups: [{ signup: state === 'cancelled' ? toOptOut(candidate) : withMarketingConsent(candidate) }] };
}

export const kitAdapter: SourceAdapter = {
  kind: 'kit',
  secret: 'required',
  checkSecret: (secret, config) => {
    if (config?.kind === 'kit' && config.auth === 'url-token') checkTokenSecret(secret, 'kit');
    else checkSigningSecret(secret, 'kit');
  },
  // A URL token travels in its tokenParam; a signature is not a credential.
  credentials: (config) => {
    const source = expectKind(config, 'kit');
    return source.auth === 'url-token' ? { ...SIGNED_ONLY, query: [source.tokenParam] } : SIGNED_ONLY;
  },
  decide(request, { source: config, secret, now, authenticated }) {
    const source = expectKind(config, 'kit');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (authenticated) {
      // Authenticated when received (a re-run from our dead-letter queue).
    } else if (source.auth === 'url-token') {
      checkTokenSecret(secret, 'kit');
      requireQueryToken(request.query, source.tokenParam, secret);
    } else {
      checkSigningSecret(secret, 'kit');
      verify(request, secret, now, source.toleranceSeconds);
    }

    const body = requireRecord(parseJsonBody(request), 'body');
    const legacy = ownValue(body, 'subscriber');
    if (ownValue(body, 'events') === undefined && isRecord(legacy)) return legacyDelivery(source, legacy);
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
