import { checkSigningSecret, decodeBase64Digest, hmacSha256, requireHeader, requireMatch } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup } from '../field-map';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, quoted, requireRecord, signedOnly } from './common';

/**
 * Typeform webhooks (docs/sources.md): `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret,
 * raw body)>`, no timestamp (so no replay window; `event_id` dedupes). Only
 * `event_type: form_response` is a signup (`form_response_partial` and others are ignored).
 *
 * Answers are identified by `field.ref` (fieldMap keys are refs; `hidden.<name>` reads a hidden field;
 * `type:<answer type>` the first answer of that type). Each answer stores its value under the key named
 * by its type: email, text, phone_number, number, boolean, date, url, choice.label, choices.labels.
 * By default the email is the first `email` answer and the phone the first `phone_number` answer;
 * names, company and address need refs in fieldMap (Typeform has no name or address answer type).
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

function answersLookup(formResponse: Readonly<Record<string, unknown>>): FieldLookup {
  const rawAnswers = ownValue(formResponse, 'answers');
  const answers = (Array.isArray(rawAnswers) ? rawAnswers : []).filter(isRecord);
  const hidden = ownValue(formResponse, 'hidden');
  return (key) => {
    if (key.startsWith('hidden.')) return isRecord(hidden) ? ownValue(hidden, key.slice('hidden.'.length)) : undefined;
    const byType = key.startsWith('type:') ? key.slice('type:'.length) : undefined;
    const answer = answers.find((candidate) => {
      if (byType !== undefined) return ownValue(candidate, 'type') === byType;
      const field = ownValue(candidate, 'field');
      return isRecord(field) && ownValue(field, 'ref') === key;
    });
    return answer ? answerValue(answer) : undefined;
  };
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
          signup: buildCandidate(source, answersLookup(formResponse), DEFAULTS, ownValue(body, 'event_id')),
          ...(occurredAt ? { occurredAt } : {}),
        },
      ],
    };
  },
};
