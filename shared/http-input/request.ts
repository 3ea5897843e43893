import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** One HTTP request as the sender made it, for every route. Built by `rawRequestFromHttpApiEvent`. */
export interface RawRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Lower-cased names; API Gateway (payload v2) joins repeated headers with ','. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes sent (base64 already decoded). Signatures are verified on these. */
  readonly body: Buffer;
  /** Query parameters, decoded; repeated ones joined with ','. */
  readonly query: Readonly<Record<string, string>>;
  /** The full external URL of this request, query included (HubSpot signs it). */
  readonly publicUrl: string;
  /**
   * The client's address as API Gateway saw the connection (`requestContext.http.sourceIp`), not a header
   * the client writes: what public forms' per-client limit counts by (shared/ingest/client-limit.ts).
   */
  readonly sourceIp?: string;
}

/** An answer that is not a refusal (refusals are errors, see ./errors.ts). */
export interface HttpReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type HttpBody = Readonly<{ body?: string | undefined; isBase64Encoded?: boolean | undefined }>;

/** The exact bytes the sender posted (API Gateway base64-encodes bodies it treats as binary). */
export function rawBodyBytes(event: HttpBody): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** Looks a header up by name, case-insensitively; '' and whitespace-only count as absent. */
export function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = Object.hasOwn(headers, lower) ? headers[lower] : undefined;
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === lower) {
        value = headers[key];
        break;
      }
    }
  }
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed === '' ? undefined : trimmed;
}

/**
 * API Gateway HTTP API (payload format 2.0) event -> RawRequest. Header names arrive lower-cased and
 * repeated headers joined with ','; the body is base64 when `isBase64Encoded` (forms and multipart
 * usually are), and must be decoded to the exact bytes the sender signed.
 */
export function rawRequestFromHttpApiEvent(
  event: Pick<APIGatewayProxyEventV2, 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters' | 'rawPath' | 'rawQueryString'> & {
    requestContext: Pick<APIGatewayProxyEventV2['requestContext'], 'domainName' | 'http'>;
  },
  options: Readonly<{ publicBaseUrl?: string }> = {},
): RawRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (typeof value === 'string') query[name] = value;
  }
  const body = rawBodyBytes(event);
  // Behind a custom domain the stage and base path differ from what the sender called: pass the
  // public base URL (scheme, host and any base path) when it is known.
  const base = options.publicBaseUrl?.replace(/\/+$/, '') ?? `https://${event.requestContext.domainName}`;
  const search = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const sourceIp = event.requestContext.http.sourceIp;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    headers,
    body,
    query,
    publicUrl: `${base}${event.rawPath}${search}`,
    ...(typeof sourceIp === 'string' && sourceIp !== '' ? { sourceIp } : {}),
  };
}
