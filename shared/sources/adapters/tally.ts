import { checkSigningSecret, decodeBase64Digest, decodeHexDigest, hmacSha256, requireHeader, requireMatch } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup } from '../field-map';
import { isEmailValue, keysWhere, withFallback } from '../field-shapes';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, quoted, requireRecord, sameLabel, signedOnly } from './common';

/**
 * Tally webhooks (docs/sources.md): `Tally-Signature` = base64 HMAC-SHA256(secret, raw body)
 * per a 2nd source (Tally's own page only says "a SHA-256 hash of the payload"), no timestamp. The
 * encoding is UNCONFIRMED, so a hex digest of the same HMAC is accepted too: both need the secret.
 * Only `eventType: FORM_RESPONSE` is a signup.
 *
 * `data.fields[]` entries are `{ key, label, type, value, options? }`. fieldMap keys are field keys
 * (`question_xxx`) or labels (ignoring case); `type:<TYPE>` reads the first field of that type. By
 * default the email is the first INPUT_EMAIL field and the phone the first INPUT_PHONE_NUMBER one;
 * "First name", "Last name", "Full name"/"Name" and "Company" are read by label. Whatever the labels'
 * language, a field whose value is an email is the email when no INPUT_EMAIL field has one
 * (shared/sources/field-shapes.ts). Choice values that are option ids are resolved through `options`.
 * The event id is `eventId` (else the submission id).
 */

const DEFAULTS: FieldDefaults = {
  email: ['type:INPUT_EMAIL', 'email'],
  phone: ['type:INPUT_PHONE_NUMBER', 'phone'],
  first_name: ['first name'],
  last_name: ['last name'],
  full_name: ['full name', 'name'],
  company: ['company'],
};

function fieldValue(field: Readonly<Record<string, unknown>>): unknown {
  const value = ownValue(field, 'value');
  const options = ownValue(field, 'options');
  if (!Array.isArray(value) || !Array.isArray(options)) return value;
  return value.map((id) => {
    const option = options.find((candidate) => isRecord(candidate) && ownValue(candidate, 'id') === id);
    return isRecord(option) ? ownValue(option, 'text') : id;
  });
}

function fieldsLookup(fields: readonly Readonly<Record<string, unknown>>[]): FieldLookup {
  return (key) => {
    const type = key.startsWith('type:') ? key.slice('type:'.length) : undefined;
    const field =
      type !== undefined
        ? fields.find((candidate) => ownValue(candidate, 'type') === type)
        : (fields.find((candidate) => ownValue(candidate, 'key') === key) ??
          fields.find((candidate) => {
            const label = ownValue(candidate, 'label');
            return typeof label === 'string' && sameLabel(label, key);
          }));
    return field ? fieldValue(field) : undefined;
  };
}

export const tallyAdapter: SourceAdapter = {
  kind: 'tally',
  secret: 'required',
  checkSecret: (secret) => checkSigningSecret(secret, 'tally'),
  credentials: signedOnly,
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'tally');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (!authenticated) {
      checkSigningSecret(secret, 'tally');
      const signature = requireHeader(request.headers, 'tally-signature');
      const candidates = [decodeBase64Digest(signature), decodeHexDigest(signature)].filter((digest): digest is Buffer => digest !== undefined);
      requireMatch(candidates, hmacSha256(secret, request.body));
    }

    const body = requireRecord(parseJsonBody(request), 'body');
    const eventType = ownValue(body, 'eventType');
    if (eventType !== 'FORM_RESPONSE') return ignore(`Tally event type ${quoted(eventType)} is not a signup`);
    const data = requireRecord(ownValue(body, 'data'), 'data');
    const rawFields = ownValue(data, 'fields');
    const fields = (Array.isArray(rawFields) ? rawFields : []).filter(isRecord);
    const occurredAt = isoTime(ownValue(body, 'createdAt') ?? ownValue(data, 'createdAt'));
    // By value shape, for forms whose email question is a plain text field labelled in any language.
    const answers = fields.flatMap((field) => {
      const key = ownValue(field, 'key');
      return typeof key === 'string' ? [{ key, value: fieldValue(field) }] : [];
    });
    const defaults = withFallback(DEFAULTS, { email: keysWhere(answers, isEmailValue) });
    return {
      type: 'signups',
      signups: [
        {
          signup: buildCandidate(source, fieldsLookup(fields), defaults, ownValue(body, 'eventId') ?? ownValue(data, 'submissionId')),
          ...(occurredAt ? { occurredAt } : {}),
        },
      ],
    };
  },
};
