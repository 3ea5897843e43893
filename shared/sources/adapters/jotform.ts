import { checkTokenSecret, requireQueryToken } from '../auth';
import { SourcePayloadError } from '../errors';
import { buildCandidate, type FieldDefaults, jsonPathLookup } from '../field-map';
import { isNameObject, isPhoneObject, keysWhere, shapeDefaults, withFallback } from '../field-shapes';
import { checkBodySize, isRecord, methodNotAllowed } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, formFieldLookup, ignore, parseFormBody, urlTokenCredentials } from './common';

/**
 * Jotform webhooks (docs/sources.md): multipart/form-data (urlencoded also accepted) with
 * `formID`, `submissionID` and `rawRequest`, a JSON string keyed by question id
 * (`{"q3_name":{"first":"Kin","last":"Lane"},"q4_email":"kin@example.com"}`). No signature was found
 * (UNCONFIRMED that none exists), so the URL carries a per-source token, and `formIds` can restrict
 * which forms are accepted (others are ignored).
 *
 * fieldMap keys are paths in rawRequest (`q4_email`, `q3_name.first`; a `{first,last}` object mapped to
 * `full_name` fills both names, a `{area, phone}` or `{full}` object mapped to `phone` is the phone).
 * Jotform names each question after its label in the form's language (`q6_nomeCompleto6`,
 * `q8_telefonecom`), so the defaults look at both the name and the value of each `q<N>_` question:
 * - email: a question whose name contains "email" (a string), else the first whose value is an email;
 * - names: a `{first,last}` question whose name contains "name", else the first `{first,last}` object;
 * - phone: a phone widget (`{full}` or `{area, phone}`) or a string under a name with "phone", "fone",
 *   "fono", "telef", "mobile" or "celular", else the first phone widget;
 * - address: an "address" question, else the first object with a street line and a city (sub-keys
 *   addr_line1/city/state/postal/country: UNCONFIRMED, recognised among others).
 * The event id is `submissionID`.
 */

const QUESTION = /^q\d+_/;
const PHONE_LABEL = /phone|fone|fono|telef|mobile|celular/i;

function defaultsFor(raw: Readonly<Record<string, unknown>>): FieldDefaults {
  const answers = Object.keys(raw)
    .filter((key) => QUESTION.test(key))
    .map((key) => ({ key, value: raw[key] }));
  const byLabel = (pattern: RegExp, accept: (value: unknown) => boolean): string[] =>
    keysWhere(
      answers.filter((answer) => pattern.test(answer.key.replace(QUESTION, ''))),
      accept,
    ).slice(0, 1);
  const isText = (value: unknown) => typeof value === 'string';
  const labelled: FieldDefaults = {
    email: byLabel(/e-?mail/i, isText),
    full_name: byLabel(/name/i, isNameObject),
    phone: byLabel(PHONE_LABEL, (value) => isText(value) || isPhoneObject(value)),
    address: byLabel(/address/i, isRecord),
  };
  return withFallback(labelled, shapeDefaults(answers));
}

export const jotformAdapter: SourceAdapter = {
  kind: 'jotform',
  secret: 'required',
  checkSecret: (secret) => checkTokenSecret(secret, 'jotform'),
  credentials: urlTokenCredentials('jotform'),
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'jotform');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (!authenticated) {
      checkTokenSecret(secret, 'jotform');
      requireQueryToken(request.query, source.tokenParam, secret);
    }

    const field = formFieldLookup(parseFormBody(request));
    const formId = field('formID');
    if (source.formIds && (typeof formId !== 'string' || !source.formIds.includes(formId.trim()))) {
      return ignore('the Jotform form is not in formIds');
    }
    const rawRequest = field('rawRequest');
    if (typeof rawRequest !== 'string') throw new SourcePayloadError('rawRequest is missing', { field: 'rawRequest' });
    let raw: unknown;
    try {
      raw = JSON.parse(rawRequest);
    } catch (error) {
      throw new SourcePayloadError('rawRequest is not valid JSON', { field: 'rawRequest', cause: error });
    }
    if (!isRecord(raw)) throw new SourcePayloadError('rawRequest must be a JSON object', { field: 'rawRequest' });
    return {
      type: 'signups',
      signups: [{ signup: buildCandidate(source, jsonPathLookup(raw), defaultsFor(raw), field('submissionID')) }],
    };
  },
};
