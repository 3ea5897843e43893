import { PayloadError } from './errors';
import { MAX_SIGNUPS_PER_REQUEST } from './limits';
import { headerValue, type RawRequest } from './request';

/**
 * Request bodies, the same way for POST /signups and every source: content type, size cap, UTF-8,
 * JSON, batch size. Every refusal is a PayloadError (400, 413 or 415) whose message names what is
 * expected, never what was sent.
 */

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

export function requestContentType(request: Pick<RawRequest, 'headers'>): ContentType | undefined {
  return parseContentType(headerValue(request.headers, 'content-type'));
}

export const isJsonMediaType = (mediaType: string): boolean =>
  mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));

/** Refuses an oversized body (413) before anything (a signature, a parse) is computed over it. */
export function checkBodySize(body: Buffer, max: number): void {
  if (body.length > max) throw new PayloadError(`The body is larger than ${max} bytes`, { statusCode: 413 });
}

/** Refuses more signups in one request than MAX_SIGNUPS_PER_REQUEST (413). */
export function checkBatchSize(count: number): void {
  if (count > MAX_SIGNUPS_PER_REQUEST) {
    throw new PayloadError(`At most ${MAX_SIGNUPS_PER_REQUEST} signups per request`, { statusCode: 413 });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as UTF-8 text, or 400 if it is not valid UTF-8. A leading BOM is dropped. */
export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new PayloadError('The body is not valid UTF-8', { cause: error });
  }
}

/**
 * What a route accepts as a JSON content type. `required`: application/json or +json, nothing else
 * (POST /signups, our own API). `lenient`: a missing header or text/plain is tolerated too, because
 * several senders omit it or mislabel JSON; any other declared type is still 415.
 */
export type JsonContentTypeRule = 'required' | 'lenient';

/** Parses a JSON body (after the size check, and for sources after the signature check). Parse errors never echo the input. */
export function parseJsonBody(request: Pick<RawRequest, 'headers' | 'body'>, rule: JsonContentTypeRule): unknown {
  const contentType = requestContentType(request);
  const accepted =
    contentType === undefined ? rule === 'lenient' : isJsonMediaType(contentType.mediaType) || (rule === 'lenient' && contentType.mediaType === 'text/plain');
  if (!accepted) {
    // The message is logged, so it names what is expected, not the sender's header value.
    throw new PayloadError('Unsupported content type; expected application/json', { statusCode: 415, field: 'content-type' });
  }
  const text = bodyText(request.body);
  if (text.trim() === '') throw new PayloadError('The body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // SyntaxError messages quote the input, which may hold personal data: keep them out of the answer.
    throw new PayloadError('The body is not valid JSON', { cause: error });
  }
}
