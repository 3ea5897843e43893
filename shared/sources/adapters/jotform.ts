import { checkTokenSecret, requireQueryToken } from '../auth';
import { SourcePayloadError } from '../errors';
import { buildCandidate, type FieldDefaults, jsonPathLookup } from '../field-map';
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
 * `full_name` fills both names). Without a mapping, the first question whose unique name contains
 * "email" is the email, the first `{first,last}` "name" question the names, a "phone" question the
 * phone (a string, or the widget's `full`), and an "address" question the address (sub-keys
 * addr_line1/city/state/postal/country: UNCONFIRMED, recognised among others).
 * The event id is `submissionID`.
 */

const QUESTION = /^q\d+_/;

function defaultsFor(raw: Readonly<Record<string, unknown>>): FieldDefaults {
  const keys = Object.keys(raw).filter((key) => QUESTION.test(key));
  const find = (pattern: RegExp, accept: (value: unknown) => boolean): string[] =>
    keys.filter((key) => pattern.test(key.replace(QUESTION, '')) && accept(raw[key])).slice(0, 1);
  const isText = (value: unknown) => typeof value === 'string';
  const phone = find(/phone/i, (value) => isText(value) || (isRecord(value) && typeof value['full'] === 'string'));
  return {
    email: find(/e-?mail/i, isText),
    full_name: find(/name/i, (value) => isRecord(value) && ('first' in value || 'last' in value)),
    phone: phone.map((key) => (isRecord(raw[key]) ? `${key}.full` : key)),
    address: find(/address/i, isRecord),
  };
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
