import { headerValue } from './auth';
import { SourcePayloadError } from './errors';
import type { AdapterDecision, RawRequest } from './source-adapter';

/** Bodies above this are refused with 413 before any parsing (Webflow caps at 256 KB, Kit at 100 events). */
export const MAX_SOURCE_BODY_BYTES = 1024 * 1024;
/** One request may carry a batch (Kit up to 100 events, HubSpot arrays); more is refused with 413. */
export const MAX_SIGNUPS_PER_REQUEST = 100;

export type ContentType = Readonly<{ mediaType: string; params: Readonly<Record<string, string>> }>;

/** Parses `type/subtype; a=b; c="d e"` (RFC 9110 §8.3). Parameter names are lower-cased. */
export function parseContentType(value: string | undefined): ContentType | undefined {
  if (value === undefined) return undefined;
  const [type = '', ...rest] = splitParams(value);
  const mediaType = type.trim().toLowerCase();
  if (mediaType === '') return undefined;
  const params: Record<string, string> = Object.create(null);
  for (const param of rest) {
    const equals = param.indexOf('=');
    if (equals <= 0) continue;
    const name = param.slice(0, equals).trim().toLowerCase();
    let paramValue = param.slice(equals + 1).trim();
    if (paramValue.length >= 2 && paramValue.startsWith('"') && paramValue.endsWith('"')) {
      paramValue = paramValue.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (name !== '' && !(name in params)) params[name] = paramValue;
  }
  return { mediaType, params };
}

/** Splits on ';' outside double quotes. */
function splitParams(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index];
    if (char === '\\' && quoted && index + 1 < value.length) {
      current += char + value[index + 1];
      index += 1;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

export function requestContentType(request: RawRequest): ContentType | undefined {
  return parseContentType(headerValue(request.headers, 'content-type'));
}

export const isJsonMediaType = (mediaType: string): boolean =>
  mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));

/** Refuses oversized bodies (413) before anything is computed over them. */
export function checkBodySize(request: RawRequest, max = MAX_SOURCE_BODY_BYTES): void {
  if (request.body.length > max) {
    throw new SourcePayloadError(`The body is larger than ${max} bytes`, { statusCode: 413 });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as UTF-8 text, or 400 if it is not valid UTF-8. A leading BOM is dropped. */
export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new SourcePayloadError('The body is not valid UTF-8', { cause: error });
  }
}

/**
 * Parses a JSON body after the signature was verified. A declared non-JSON content type is 415; a
 * missing one is tolerated (several senders omit it). Parse errors never echo the input.
 */
export function parseJsonBody(request: RawRequest): unknown {
  const contentType = requestContentType(request);
  if (contentType && !isJsonMediaType(contentType.mediaType) && contentType.mediaType !== 'text/plain') {
    // The message is logged, so it names what is expected, not the sender's header value.
    throw new SourcePayloadError('Unsupported content type; expected application/json', {
      statusCode: 415,
      field: 'content-type',
    });
  }
  const text = bodyText(request.body);
  if (text.trim() === '') throw new SourcePayloadError('The body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SourcePayloadError('The body is not valid JSON', { cause: error });
  }
}

/** 405 with `Allow`, for methods a sender never uses (HubSpot does not retry a 405). */
export function methodNotAllowed(allowed: readonly string[]): AdapterDecision {
  return {
    type: 'reply',
    status: 405,
    headers: { allow: allowed.join(', '), 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'Method not allowed' }),
  };
}

export const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Own property only: JSON and form data must never reach `constructor` or `__proto__` of Object.prototype. */
export function ownValue(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** A non-empty trimmed string (numbers are stringified), else undefined. */
export function stringValue(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** An ISO 8601 timestamp from a sender time (ISO string, or epoch milliseconds), else undefined. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Enforces the per-request batch cap (413). */
export function checkBatchSize(count: number): void {
  if (count > MAX_SIGNUPS_PER_REQUEST) {
    throw new SourcePayloadError(`At most ${MAX_SIGNUPS_PER_REQUEST} signups per request`, { statusCode: 413 });
  }
}
