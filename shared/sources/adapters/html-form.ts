import { CAPTCHA_TOKEN_FIELDS } from '../../captcha/verify-captcha';
import { isJsonMediaType, requestContentType } from '../../http-input/body';
import * as z from '../../zod-mini';
import { headerValue, safeEqual } from '../auth';
import { SourceAuthError, SourceForbiddenError, SourcePayloadError } from '../errors';
import { buildCandidate, type FieldDefaults, type FieldLookup } from '../field-map';
import { type Answer, shapeDefaults, withFallback } from '../field-shapes';
import { checkBodySize, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import { type AdapterDecision, type HttpReply, type PresentOutcome, type RawRequest, SIGNED_ONLY, type SourceAdapter } from '../source-adapter';
import type { SourceConfig, SourceConfigOf } from '../source-config';
import { expectKind, formFieldLookup, parseFormBody } from './common';

/**
 * Plain HTML forms and fetch-based posts (docs/sources.md).
 *
 * - Native `<form method=post>` (urlencoded or multipart) is answered 303 See Other to the
 *   allow-listed thank-you or error URL (Post/Redirect/Get); nothing from the request picks the URL.
 * - A post with `Accept: application/json` (fetch) is answered JSON, with CORS headers for an
 *   allow-listed Origin; a JSON body from fetch triggers a preflight, answered here.
 * - The Origin (or, without one, the Referer's origin) must be allow-listed, because CORS does not
 *   stop a simple POST from being sent.
 * - A filled honeypot field is a bot: answered exactly like a success, with nothing enqueued.
 * - The secret is optional: when set, it is a form token the page must post in `tokenField`. It is
 *   visible in the page, so it only keeps blind bots off the URL; the origin check stays the guard.
 * - Fields are read by name (`email`, `first_name`, ...); a form whose email input has another name
 *   (`correo`, `e-mail-adresse`) still gives its email: the first field whose value is an email.
 * - With `captcha`, the widget's token (cf-turnstile-response, h-captcha-response, g-recaptcha-response)
 *   goes into the decision; the ingest verifies it with the provider (shared/captcha/verify-captcha.ts)
 *   before anything is enqueued, since that needs a call out of this pure adapter.
 */

const DEFAULTS: FieldDefaults = {
  email: ['email'],
  first_name: ['first_name'],
  last_name: ['last_name'],
  full_name: ['full_name', 'name'],
  company: ['company'],
  phone: ['phone'],
  notes: ['notes'],
  'address.address1': ['address1'],
  'address.address2': ['address2'],
  'address.city': ['city'],
  'address.state_or_province': ['state_or_province', 'state'],
  'address.postal_code': ['postal_code', 'zip'],
  'address.country_code': ['country_code', 'country'],
};

type HtmlFormSource = SourceConfigOf<'html-form'>;

function normalizedOrigin(value: string | undefined): string | undefined {
  if (value === undefined || value === 'null') return undefined;
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** The Origin header, or the Referer's origin when a browser left Origin out (or sent `null`). */
function callerOrigin(request: RawRequest): { origin: string | undefined; fromOriginHeader: boolean } {
  const origin = normalizedOrigin(headerValue(request.headers, 'origin'));
  if (origin !== undefined) return { origin, fromOriginHeader: true };
  return { origin: normalizedOrigin(headerValue(request.headers, 'referer')), fromOriginHeader: false };
}

/** CORS headers for an allow-listed Origin header; none otherwise. */
function corsHeaders(source: HtmlFormSource, request: RawRequest): Record<string, string> {
  const { origin, fromOriginHeader } = callerOrigin(request);
  if (!fromOriginHeader || origin === undefined || !source.allowedOrigins.includes(origin)) return {};
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

function preflight(source: HtmlFormSource, request: RawRequest): AdapterDecision {
  const cors = corsHeaders(source, request);
  const method = headerValue(request.headers, 'access-control-request-method')?.toUpperCase();
  if (!cors['access-control-allow-origin'] || (method !== undefined && method !== 'POST')) {
    return { type: 'reply', status: 403, headers: { vary: 'Origin' } };
  }
  return {
    type: 'reply',
    status: 204,
    headers: {
      ...cors,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'Content-Type, Accept',
      'access-control-max-age': '600',
    },
  };
}

function checkOrigin(source: HtmlFormSource, request: RawRequest): void {
  const { origin } = callerOrigin(request);
  if (origin === undefined) {
    if (!source.allowMissingOrigin) throw new SourceForbiddenError('The request has no Origin; only browser form posts are accepted');
    return;
  }
  if (!source.allowedOrigins.includes(origin)) throw new SourceForbiddenError('The request origin is not allowed for this form');
}

/** Field lookup over a urlencoded, multipart or (fetch) flat JSON body, and its fields in order. */
function bodyFields(request: RawRequest): { lookup: FieldLookup; answers: Answer[] } {
  const contentType = requestContentType(request);
  if (contentType && isJsonMediaType(contentType.mediaType)) {
    const body = parseJsonBody(request);
    if (!isRecord(body)) throw new SourcePayloadError('The body must be a JSON object of form fields', { field: 'body' });
    return { lookup: (key) => ownValue(body, key), answers: Object.keys(body).map((key) => ({ key, value: body[key] })) };
  }
  const fields = parseFormBody(request);
  return { lookup: formFieldLookup(fields), answers: fields.map((field) => ({ key: field.name, value: field.value })) };
}

/**
 * The defaults, then the fields found by their shape (a form built in any language names its inputs as
 * it likes): the first value that is an email; in a fetch post's JSON, a `{first, last}`, phone or
 * address object. The fields this source uses for something else are left out.
 */
function defaultsFor(source: HtmlFormSource, answers: readonly Answer[]): FieldDefaults {
  const reserved = new Set([source.honeypotField, source.tokenField, source.submissionIdField, ...Object.values(CAPTCHA_TOKEN_FIELDS)]);
  return withFallback(DEFAULTS, shapeDefaults(answers.filter((answer) => !reserved.has(answer.key))));
}

/** The JSON answer to fetch-based posts (`Accept: application/json`); native posts get a 303 instead. */
export const htmlFormJsonReplySchema = z
  .strictObject({
    ok: z.boolean(),
    error: z.optional(z.string()).check(z.meta({ description: 'Why the signup was not taken; safe to show to the person' })),
    issues: z.optional(z.array(z.strictObject({ path: z.string(), message: z.string() }))).check(z.meta({ description: 'The fields that failed validation' })),
  })
  .check(z.meta({ description: 'The answer of an html-form source to a fetch post that accepts JSON' }));
type HtmlFormJsonReply = z.input<typeof htmlFormJsonReplySchema>;
const jsonBody = (reply: HtmlFormJsonReply): string => JSON.stringify(reply);

const wantsJson = (request: RawRequest): boolean => /\bapplication\/json\b/i.test(headerValue(request.headers, 'accept') ?? '');

/** The query parameter of the error redirect that names the fields that failed validation. */
export const ERROR_FIELDS_PARAM = 'fields';

/**
 * A problem's JSON Pointer as a field name for the error page (docs/sources.md, html-form): the
 * canonical name, nested with dots as `fieldMap` writes targets (`/address/city` -> `address.city`),
 * ending before a list index (`/custom_fields/2/value` -> `custom_fields`); undefined for the whole body.
 */
export function errorFieldName(pointer: string): string | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const index = segments.findIndex((segment) => /^\d+$/.test(segment));
  const name = (index === -1 ? segments : segments.slice(0, index)).join('.');
  return name === '' ? undefined : name;
}

/**
 * The error URL, with `fields=email,last_name` when validation named fields: names only, never values.
 * The URL's own query is kept as written; a `fields` it already has is replaced.
 */
export function errorLocation(errorUrl: string, issues: readonly Readonly<{ path: string }>[] | undefined): string {
  const names = [...new Set((issues ?? []).map((issue) => errorFieldName(issue.path)).filter((name): name is string => name !== undefined))];
  if (names.length === 0) return errorUrl;
  const url = new URL(errorUrl);
  if (url.searchParams.has(ERROR_FIELDS_PARAM)) url.searchParams.delete(ERROR_FIELDS_PARAM);
  // Field names are [a-z0-9_.] (canonical names) or custom names, which the encoding keeps readable.
  const value = names.map((name) => encodeURIComponent(name)).join(',');
  url.search = `${url.search === '' ? '' : `${url.search}&`}${ERROR_FIELDS_PARAM}=${value}`;
  return url.toString();
}

function present(outcome: PresentOutcome, request: RawRequest, config: SourceConfig): HttpReply {
  const source = expectKind(config, 'html-form');
  const headers = { ...corsHeaders(source, request), 'cache-control': 'no-store' };
  const succeeded = outcome.type === 'accepted' || outcome.type === 'ignored';
  if (!wantsJson(request)) {
    const location = succeeded
      ? source.thankYouUrl
      : errorLocation(source.errorUrl, outcome.type === 'invalid' && outcome.statusCode === 422 ? outcome.issues : undefined);
    return { status: 303, headers: { ...headers, location } };
  }
  const json = { ...headers, 'content-type': 'application/json' };
  if (succeeded) return { status: 202, headers: json, body: jsonBody({ ok: true }) };
  if (outcome.type === 'invalid') {
    return {
      status: outcome.statusCode,
      headers: json,
      body: jsonBody({ ok: false, error: outcome.message, ...(outcome.issues ? { issues: [...outcome.issues] } : {}) }),
    };
  }
  return { status: outcome.statusCode, headers: json, body: jsonBody({ ok: false, error: 'The signup could not be saved; please try again later' }) };
}

export const htmlFormAdapter: SourceAdapter = {
  kind: 'html-form',
  secret: 'optional',
  // Any form token (or none) works: it is public in the page, not a signing key.
  checkSecret: () => undefined,
  // The form token is a field of the body; html forms answer their own 422 and are never dead-lettered anyway.
  credentials: (source) => ({ ...SIGNED_ONLY, bodyFields: [expectKind(source, 'html-form').tokenField] }),
  decide(request, { source: config, secret, authenticated }) {
    const source = expectKind(config, 'html-form');
    if (request.method === 'OPTIONS') return preflight(source, request);
    if (request.method !== 'POST') return methodNotAllowed(['POST', 'OPTIONS']);
    checkOrigin(source, request);
    checkBodySize(request);
    const { lookup, answers } = bodyFields(request);
    if (secret !== '' && !authenticated) {
      const token = lookup(source.tokenField);
      if (typeof token !== 'string' || token === '') throw new SourceAuthError('missing', 'token', `form field ${source.tokenField} absent`);
      if (!safeEqual(token, secret)) throw new SourceAuthError('invalid', 'token', 'form token mismatch');
    }
    const honeypot = source.honeypotField === undefined ? undefined : lookup(source.honeypotField);
    if (honeypot !== undefined && honeypot !== null && String(honeypot).trim() !== '') {
      // Silent success: the bot sees what a person would see.
      return { type: 'reply', ...present({ type: 'accepted', count: 1 }, request, source) };
    }
    const signups = [{ signup: buildCandidate(source, lookup, defaultsFor(source, answers), lookup(source.submissionIdField)) }];
    // `captcha: false` (with its reason): a form that opted out; none set: refused at synth and cold start.
    if (!source.captcha) return { type: 'signups', signups };
    // Verified by the ingest (a call to the provider); this pure adapter only reads the widget's field.
    const token = lookup(CAPTCHA_TOKEN_FIELDS[source.captcha.provider]);
    return { type: 'signups', signups, captchaToken: typeof token === 'string' ? token : '' };
  },
  present,
};
