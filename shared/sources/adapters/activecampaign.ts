import { type FormTree, formValueAt, nestFormFields, splitBracketName } from '../../http-input/urlencoded';
import { checkTokenSecret, requireQueryToken } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup, hashEventId, toOptOut, withMarketingConsent } from '../field-map';
import { checkBodySize, isoTime, methodNotAllowed } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, parseFormBody, quoted, urlTokenCredentials } from './common';

/**
 * ActiveCampaign webhooks (docs/sources.md): form POST data with bracketed keys
 * (`contact[email]`), unsigned, so the URL carries a per-source token compared in constant time.
 * ActiveCampaign never retries and deactivates a webhook on 410, so nothing here answers 410.
 *
 * - `type=subscribe` is a signup with marketing consent; `type=unsubscribe` an opt-out
 *   (docs/subscribers.md); other types are ignored.
 * - fieldMap keys are paths under `contact` written with dots (`first_name`, `fields.12`), or full
 *   bracketed names (`contact[fields][12]`). Beyond email and first_name (2nd source), the field
 *   names are UNCONFIRMED: last_name, phone and orgname are tried by default.
 * - No event id exists: the id hashes contact[id] + type + date_time (when present).
 */

const DEFAULTS: FieldDefaults = {
  email: ['email'],
  first_name: ['first_name'],
  last_name: ['last_name'],
  phone: ['phone'],
  company: ['orgname'],
};

function contactLookup(tree: FormTree): FieldLookup {
  return (key) => formValueAt(tree, key.includes('[') ? splitBracketName(key) : ['contact', ...key.split('.')]);
}

const text = (tree: FormTree, ...path: string[]): string => {
  const value = formValueAt(tree, path);
  return typeof value === 'string' ? value : '';
};

export const activeCampaignAdapter: SourceAdapter = {
  kind: 'activecampaign',
  secret: 'required',
  checkSecret: (secret) => checkTokenSecret(secret, 'activecampaign'),
  credentials: urlTokenCredentials('activecampaign'),
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'activecampaign');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    if (!authenticated) {
      checkTokenSecret(secret, 'activecampaign');
      requireQueryToken(request.query, source.tokenParam, secret);
    }

    const tree = nestFormFields(parseFormBody(request));
    const type = text(tree, 'type');
    if (type !== 'subscribe' && type !== 'unsubscribe') return ignore(`ActiveCampaign event type ${quoted(type)} is not a signup`);
    const contactId = text(tree, 'contact', 'id');
    const dateTime = text(tree, 'date_time');
    const eventId = contactId !== '' ? hashEventId('activecampaign', contactId, type, dateTime) : undefined;
    const occurredAt = isoTime(dateTime);
    const candidate = buildCandidate(source, contactLookup(tree), DEFAULTS, eventId);
    const signup = type === 'unsubscribe' ? toOptOut(candidate) : withMarketingConsent(candidate);
    return { type: 'signups', signups: [{ signup, ...(occurredAt ? { occurredAt } : {}) }] };
  },
};
