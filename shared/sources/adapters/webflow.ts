import { checkSigningSecret, checkTimestamp, checkTokenSecret, decodeHexDigest, hmacSha256, requireHeader, requireMatch, requireQueryToken } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup } from '../field-map';
import { isEmailValue, keysWhere, withFallback } from '../field-shapes';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import { SIGNED_ONLY, type SourceAdapter } from '../source-adapter';
import { expectKind, ignore, quoted, requireRecord, sameLabel } from './common';

/**
 * Webflow `form_submission` webhooks (docs/sources.md).
 *
 * Auth 'signature' (OAuth app or per-webhook secret): `x-webflow-signature` = hex HMAC-SHA256 of
 * `${x-webflow-timestamp}:${rawBody}`, the timestamp in milliseconds within ±5 minutes. Webhooks made
 * in the dashboard or with a site API key are unsigned: use auth 'url-token' for those.
 *
 * `payload.data` is keyed by the designer's field labels, and values may be numbers (a phone), so
 * fieldMap keys are labels, matched ignoring case and spacing. By default the email is the field
 * whose schema `fieldType` mentions email (the type's name is UNCONFIRMED; Webflow's own example types
 * its email field `FormTextInput`), or the first label containing "email" ("Email 2" in an "Email
 * Form"), else the first field whose value is an email, whatever its label's language; the phone is the
 * field whose `fieldType` mentions phone or tel, else "Phone Number"/"Phone"; "First Name",
 * "Last Name", "Name" and "Company" are read by label. The v1 payload (`d`, `_id`, no triggerType) is accepted too. `formIds`/`formNames`
 * restrict which forms are kept. The event id is the submission id, when present.
 */

const DEFAULTS: FieldDefaults = {
  email: ['@schema-email', 'email', 'email address', '@label-email'],
  first_name: ['first name', 'firstname'],
  last_name: ['last name', 'lastname'],
  full_name: ['name', 'full name'],
  phone: ['@schema-phone', 'phone number', 'phone'],
  company: ['company'],
};

/** The defaults, then (for labels in any language) the first field whose value is an email. */
const defaultsFor = (data: Readonly<Record<string, unknown>>): FieldDefaults =>
  withFallback(DEFAULTS, {
    email: keysWhere(
      Object.keys(data).map((key) => ({ key, value: data[key] })),
      isEmailValue,
    ),
  });

function labelLookup(data: Readonly<Record<string, unknown>>, schema: unknown): FieldLookup {
  const labels = Object.keys(data);
  const byLabel = (label: string | undefined): unknown => {
    if (label === undefined) return undefined;
    const key = Object.hasOwn(data, label) ? label : labels.find((candidate) => sameLabel(candidate, label));
    return key === undefined ? undefined : data[key];
  };
  const bySchemaType = (type: RegExp): unknown => {
    const field = (Array.isArray(schema) ? schema : []).find((entry) => isRecord(entry) && type.test(String(ownValue(entry, 'fieldType') ?? '')));
    const name = isRecord(field) ? ownValue(field, 'fieldName') : undefined;
    return typeof name === 'string' ? byLabel(name) : undefined;
  };
  return (key) => {
    if (key === '@schema-email') return bySchemaType(/email/i);
    if (key === '@schema-phone') return bySchemaType(/phone|tel/i);
    if (key === '@label-email') return byLabel(labels.find((label) => /e-?mail/i.test(label)));
    return byLabel(key);
  };
}

export const webflowAdapter: SourceAdapter = {
  kind: 'webflow',
  secret: 'required',
  checkSecret: (secret) => checkSigningSecret(secret, 'webflow'),
  credentials: (config) => {
    const source = expectKind(config, 'webflow');
    return source.auth === 'url-token' ? { ...SIGNED_ONLY, query: [source.tokenParam] } : SIGNED_ONLY;
  },
  decide(request, { source: config, secret, now, authenticated }) {
    const source = expectKind(config, 'webflow');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (authenticated) {
      // Authenticated when received (a re-run from our dead-letter queue).
    } else if (source.auth === 'url-token') {
      checkTokenSecret(secret, 'webflow');
      requireQueryToken(request.query, source.tokenParam, secret);
    } else {
      checkSigningSecret(secret, 'webflow');
      const timestamp = requireHeader(request.headers, 'x-webflow-timestamp');
      const signature = requireHeader(request.headers, 'x-webflow-signature');
      checkTimestamp(timestamp, 'ms', now, source.toleranceSeconds);
      const digest = decodeHexDigest(signature);
      requireMatch(digest ? [digest] : [], hmacSha256(secret, `${timestamp}:`, request.body));
    }

    const body = requireRecord(parseJsonBody(request), 'body');
    const triggerType = ownValue(body, 'triggerType');
    if (triggerType !== undefined && triggerType !== 'form_submission') {
      return ignore(`Webflow trigger ${quoted(triggerType)} is not a form submission`);
    }
    const payload = triggerType === undefined ? body : requireRecord(ownValue(body, 'payload'), 'payload');
    const formId = ownValue(payload, 'formId');
    const formName = ownValue(payload, 'name');
    if (source.formIds && !(typeof formId === 'string' && source.formIds.includes(formId))) return ignore('the Webflow form is not in formIds');
    if (source.formNames && !(typeof formName === 'string' && source.formNames.includes(formName))) {
      return ignore('the Webflow form is not in formNames');
    }
    const data = requireRecord(ownValue(payload, 'data') ?? ownValue(payload, 'd'), 'payload.data');
    const eventId = ownValue(payload, 'id') ?? ownValue(payload, '_id');
    const occurredAt = isoTime(ownValue(payload, 'submittedAt') ?? ownValue(payload, 'date'));
    return {
      type: 'signups',
      signups: [
        {
          signup: buildCandidate(source, labelLookup(data, ownValue(payload, 'schema')), defaultsFor(data), eventId),
          ...(occurredAt ? { occurredAt } : {}),
        },
      ],
    };
  },
};
