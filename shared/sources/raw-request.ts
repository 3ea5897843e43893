import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { rawBodyBytes } from '../http/request-body';
import type { RawRequest } from './source-adapter';

/**
 * API Gateway HTTP API (payload format 2.0) event -> RawRequest. Header names arrive lower-cased and
 * repeated headers joined with ','; the body is base64 when `isBase64Encoded` (forms and multipart
 * usually are), and must be decoded to the exact bytes the sender signed (sources.md §0).
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
  return {
    method: event.requestContext.http.method.toUpperCase(),
    headers,
    body,
    query,
    publicUrl: `${base}${event.rawPath}${search}`,
  };
}
