import { checkBatchSize, requestContentType } from '../../http-input/body';
import { parseMultipart } from '../../http-input/multipart';
import { type FormField, parseUrlEncoded } from '../../http-input/urlencoded';
import { SourceConfigError, SourcePayloadError } from '../errors';
import type { FieldLookup } from '../field-map';
import { isRecord } from '../http';
import { type AdapterDecision, type CredentialPlaces, type RawRequest, SIGNED_ONLY, type SourceSignup } from '../source-adapter';
import type { SourceConfig, SourceConfigOf, SourceKind } from '../source-config';

/** Narrows the source to the adapter's kind; a mismatch is a wiring bug (500, not shown). */
export function expectKind<K extends SourceKind>(source: SourceConfig, kind: K): SourceConfigOf<K> {
  if (source.kind !== kind) throw new SourceConfigError(`Source ${source.id} is of kind ${source.kind}, not ${kind}`);
  return source as SourceConfigOf<K>;
}

// Event type names are single-case identifiers (subscribe, form_response, FORM_RESPONSE,
// customers/create, user.created). Anything else may be a person's data in the wrong field, so it is
// described, never echoed: the reason is logged.
const EVENT_TYPE_NAME = /^(?:[a-z0-9_.:/-]{1,60}|[A-Z0-9_.:/-]{1,60})$/;

/** A sender-supplied event type made safe for a log line: echoed only when it looks like one. */
export function quoted(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '(none)';
  return EVENT_TYPE_NAME.test(value) ? JSON.stringify(value) : '(not an event type name)';
}

/** A URL token's credential place: the source's `tokenParam` query parameter. */
export function urlTokenCredentials(kind: 'mailchimp' | 'jotform' | 'activecampaign'): (source: SourceConfig) => CredentialPlaces {
  return (source) => {
    const configured: { tokenParam: string } = expectKind(source, kind);
    return { ...SIGNED_ONLY, query: [configured.tokenParam] };
  };
}

/** A signed sender: its credential (the signing secret) never travels; only the always-stripped headers are removed. */
export const signedOnly = (): CredentialPlaces => SIGNED_ONLY;

export const ignore = (reason: string): AdapterDecision => ({ type: 'ignore', reason });

/** `signups`, or `ignore` with `emptyReason` when the request held none to keep. */
export function signupsOrIgnore(signups: readonly SourceSignup[], emptyReason: string): AdapterDecision {
  if (signups.length === 0) return ignore(emptyReason);
  checkBatchSize(signups.length);
  return { type: 'signups', signups };
}

/** A form body (urlencoded or multipart) as fields. No content type is read as urlencoded; others are 415. */
export function parseFormBody(request: RawRequest): FormField[] {
  const contentType = requestContentType(request);
  if (contentType === undefined || contentType.mediaType === 'application/x-www-form-urlencoded') {
    return parseUrlEncoded(request.body);
  }
  if (contentType.mediaType === 'multipart/form-data') return parseMultipart(request.body, contentType);
  // The message is logged, so it names what is expected, not the sender's header value.
  throw new SourcePayloadError('Unsupported content type; expected application/x-www-form-urlencoded or multipart/form-data', {
    statusCode: 415,
    field: 'content-type',
  });
}

/** Looks a form field up by exact name; the first non-empty value wins. */
export function formFieldLookup(fields: readonly FormField[]): FieldLookup {
  return (key) => fields.find((field) => field.name === key && field.value.trim() !== '')?.value;
}

/** The records of a JSON array (other entries are a 400 naming the index). */
export function recordsOf(value: unknown, field: string): Readonly<Record<string, unknown>>[] {
  if (!Array.isArray(value)) throw new SourcePayloadError(`${field} must be a JSON array`, { field });
  return value.map((item, index) => {
    if (!isRecord(item)) throw new SourcePayloadError(`${field}[${index}] must be a JSON object`, { field: `${field}[${index}]` });
    return item;
  });
}

/** A required JSON object, or a 400 naming the field. */
export function requireRecord(value: unknown, field: string): Readonly<Record<string, unknown>> {
  if (!isRecord(value)) throw new SourcePayloadError(`${field} must be a JSON object`, { field });
  return value;
}

/** Case-insensitive, whitespace-insensitive label comparison (Webflow labels, Tally labels). */
export const sameLabel = (a: string, b: string): boolean => a.replace(/\s+/g, ' ').trim().toLowerCase() === b.replace(/\s+/g, ' ').trim().toLowerCase();
