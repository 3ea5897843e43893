import { type FormTree, formValueAt, nestFormFields, splitBracketName } from '../../http-input/urlencoded';
import { checkTokenSecret, requireQueryToken } from '../auth';
import { buildCandidate, type FieldDefaults, type FieldLookup, hashEventId, toOptOut, withMarketingConsent } from '../field-map';
import { checkBodySize, methodNotAllowed } from '../http';
import type { SourceAdapter } from '../source-adapter';
import { expectKind, ignore, parseFormBody, quoted, urlTokenCredentials } from './common';

/**
 * Mailchimp audience webhooks (docs/sources.md): urlencoded with bracketed keys
 * (`data[merges][FNAME]`), unsigned, so the URL carries a per-source token compared in constant time.
 *
 * - Saving the webhook sends a GET that must get a 200: answered without the token (the guide and
 *   hookdeck say not to require it). An empty-body POST (a 2nd source's version of the check) gets a
 *   200 and is not processed.
 * - `type=subscribe` is kept as a signup with marketing consent (the event is a subscription);
 *   `profile` only with `includeProfileUpdates` (consent unchanged); `unsubscribe` and `cleaned` (the
 *   address bounced) become opt-outs (docs/subscribers.md); the rest is ignored.
 * - fieldMap keys are merge tags (`FNAME`), looked up under data[merges]; a key with brackets
 *   (`data[ip_opt]`) is a path from the top. The defaults are Mailchimp's default tags. How the
 *   ADDRESS merge field is encoded is UNCONFIRMED: an object `data[merges][ADDRESS][addr1]...` (as a
 *   2nd source shows) is mapped; a single-line string is not.
 * - There is no event id: the id is a hash of type + list_id + data[id] + fired_at.
 *   fired_at has no time zone (UNCONFIRMED), so it is not turned into `occurredAt`.
 */

const DEFAULTS: FieldDefaults = {
  email: ['data[email]', 'EMAIL'],
  first_name: ['FNAME'],
  last_name: ['LNAME'],
  phone: ['PHONE'],
  address: ['ADDRESS'],
};

const MERGE_TAG = /^[A-Za-z0-9_]+$/;

function mergeLookup(tree: FormTree): FieldLookup {
  return (key) => formValueAt(tree, MERGE_TAG.test(key) ? ['data', 'merges', key] : splitBracketName(key));
}

const text = (tree: FormTree, ...path: string[]): string => {
  const value = formValueAt(tree, path);
  return typeof value === 'string' ? value : '';
};

export const mailchimpAdapter: SourceAdapter = {
  kind: 'mailchimp',
  secret: 'required',
  checkSecret: (secret) => checkTokenSecret(secret, 'mailchimp'),
  credentials: urlTokenCredentials('mailchimp'),
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'mailchimp');
    if (request.method === 'GET' || request.method === 'HEAD') {
      return { type: 'reply', status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK' };
    }
    if (request.method !== 'POST') return methodNotAllowed(['GET', 'POST']);
    checkBodySize(request);
    if (request.body.toString('latin1').trim() === '') return ignore('empty POST (Mailchimp URL check)');
    if (!authenticated) {
      checkTokenSecret(secret, 'mailchimp');
      requireQueryToken(request.query, source.tokenParam, secret);
    }

    const tree = nestFormFields(parseFormBody(request));
    const type = text(tree, 'type');
    const optOut = type === 'unsubscribe' || type === 'cleaned';
    if (type !== 'subscribe' && !optOut && !(type === 'profile' && source.includeProfileUpdates)) {
      return ignore(`Mailchimp event type ${quoted(type)} is not a signup`);
    }
    const memberId = text(tree, 'data', 'id');
    const firedAt = text(tree, 'fired_at');
    const eventId = memberId !== '' || firedAt !== '' ? hashEventId('mailchimp', type, text(tree, 'data', 'list_id'), memberId, firedAt) : undefined;
    const candidate = buildCandidate(source, mergeLookup(tree), DEFAULTS, eventId);
    const signup = optOut ? toOptOut(candidate) : type === 'subscribe' ? withMarketingConsent(candidate) : candidate;
    return { type: 'signups', signups: [{ signup }] };
  },
};
