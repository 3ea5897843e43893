import { checkSigningSecret, decodeBase64Digest, hmacSha256, requireHeader, requireMatch } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup } from '../field-map';
import { isEmailValue, keysWhere, withFallback } from '../field-shapes';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, quoted, requireRecord, signedOnly } from './common';

/**
 * Typeform webhooks (docs/sources.md): `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret,
 * raw body)>`, no timestamp (so no replay window; `event_id` dedupes). Only
 * `event_type: form_response` is a signup (`form_response_partial` and others are ignored).
 *
 * Answers are identified by `field.ref` (fieldMap keys are refs; an answer without its own ref, as in
 * Typeform's example payload, takes the ref of its field in `definition.fields`; a field id works too;
 * `hidden.<name>` reads a hidden field; `type:<answer type>` the first answer of that type). Each answer
 * stores its value under the key named by its type: email, text, phone_number, number, boolean, date,
 * url, choice.label, choices.labels. By default the email is the first `email` answer, else the first
 * answer whose value is an email (a short_text question used for it), and the phone the first
 * `phone_number` answer; names, company and address need refs in fieldMap (Typeform has no name or
 * address answer type).
 * 404 and 410 would disable the webhook at Typeform: nothing here answers them.
 */

const DEFAULTS: FieldDefaults = {
  email: ['type:email'],
  phone: ['type:phone_number'],
};

function answerValue(answer: Readonly<Record<string, unknown>>): unknown {
  const type = ownValue(answer, 'type');
  if (typeof type !== 'string') return undefined;
  const value = ownValue(answer, type);
  if (type === 'choice' && isRecord(value)) return ownValue(value, 'label') ?? ownValue(value, 'other');
  if (type === 'choices' && isRecord(value)) return ownValue(value, 'labels');
  return isRecord(value) ? undefined : value;
}

const fieldOf = (answer: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  const field = ownValue(answer, 'field');
  return isRecord(field) ? field : {};
};

/** The answers, each with the keys it can be looked up by: its ref (its own, else its definition's) and its field id. */
function indexedAnswers(formResponse: Readonly<Record<string, unknown>>): { answer: Readonly<Record<string, unknown>>; keys: string[] }[] {
  const rawAnswers = ownValue(formResponse, 'answers');
  const definition = ownValue(formResponse, 'definition');
  const rawFields = isRecord(definition) ? ownValue(definition, 'fields') : undefined;
  const refById = new Map<string, string>();
  for (const field of (Array.isArray(rawFields) ? rawFields : []).filter(isRecord)) {
    const id = ownValue(field, 'id');
    const ref = ownValue(field, 'ref');
    if (typeof id === 'string' && typeof ref === 'string') refById.set(id, ref);
  }
  return (Array.isArray(rawAnswers) ? rawAnswers : []).filter(isRecord).map((answer) => {
    const field = fieldOf(answer);
    const id = ownValue(field, 'id');
    const ref = ownValue(field, 'ref') ?? (typeof id === 'string' ? refById.get(id) : undefined);
    return { answer, keys: [ref, id].filter((key): key is string => typeof key === 'string') };
  });
}

function answersLookup(formResponse: Readonly<Record<string, unknown>>): FieldLookup {
  const answers = indexedAnswers(formResponse);
  const hidden = ownValue(formResponse, 'hidden');
  return (key) => {
    if (key.startsWith('hidden.')) return isRecord(hidden) ? ownValue(hidden, key.slice('hidden.'.length)) : undefined;
    const byType = key.startsWith('type:') ? key.slice('type:'.length) : undefined;
    const found = answers.find((candidate) => (byType !== undefined ? ownValue(candidate.answer, 'type') === byType : candidate.keys.includes(key)));
    return found ? answerValue(found.answer) : undefined;
  };
}

/** The defaults for this response: the answer types first, then any answer whose value is an email. */
function defaultsFor(formResponse: Readonly<Record<string, unknown>>): FieldDefaults {
  const answers = indexedAnswers(formResponse).flatMap(({ answer, keys }) => (keys[0] !== undefined ? [{ key: keys[0], value: answerValue(answer) }] : []));
  return withFallback(DEFAULTS, { email: keysWhere(answers, isEmailValue) });
}

export const typeformAdapter: SourceAdapter = {
  kind: 'typeform',
  secret: 'required',
  checkSecret: (secret) => checkSigningSecret(secret, 'typeform'),
  credentials: signedOnly,
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'typeform');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (!authenticated) {
      checkSigningSecret(secret, 'typeform');
      const signature = requireHeader(request.headers, 'typeform-signature');
      const digest = signature.startsWith('sha256=') ? decodeBase64Digest(signature.slice('sha256='.length)) : undefined;
      requireMatch(digest ? [digest] : [], hmacSha256(secret, request.body));
    }

    const body = requireRecord(parseJsonBody(request), 'body');
    const eventType = ownValue(body, 'event_type');
    if (eventType !== 'form_response') return ignore(`Typeform event type ${quoted(eventType)} is not a signup`);
    const formResponse = requireRecord(ownValue(body, 'form_response'), 'form_response');
    const occurredAt = isoTime(ownValue(formResponse, 'submitted_at'));
    return {
      type: 'signups',
      signups: [
        {
          signup: buildCandidate(source, answersLookup(formResponse), defaultsFor(formResponse), ownValue(body, 'event_id')),
          ...(occurredAt ? { occurredAt } : {}),
        },
      ],
    };
  },
};
