import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { matchIngestRoute, routeKey } from '../shared/http/routes';

/**
 * Plain HTTP <-> API Gateway HTTP API (payload format 2.0), as API Gateway builds the event for a Lambda
 * proxy integration and turns the function's answer back into HTTP. Used by local mode only; the
 * deployed API does this itself.
 */

/** What local mode knows about one received request. */
export type IncomingHttpRequest = Readonly<{
  method: string;
  /** Path and query exactly as sent (`req.url`). */
  url: string;
  /** Node's `rawHeaders`: name, value, name, value… in arrival order, names as sent. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  protocol?: string;
}>;

export type EventOptions = Readonly<{
  now?: Date;
  requestId?: string;
  /** The port the client called (x-forwarded-port). */
  port?: number;
  stage?: string;
}>;

/** The route key API Gateway reports: the matching route of shared/http/routes.ts, else `$default`. */
export function routeFor(method: string, rawPath: string): { routeKey: string; pathParameters?: Record<string, string> } {
  const match = matchIngestRoute(method, rawPath);
  if (!match) return { routeKey: '$default' };
  const parameters = { ...match.pathParameters };
  return { routeKey: routeKey(match.route), ...(Object.keys(parameters).length > 0 ? { pathParameters: parameters } : {}) };
}

/** Bodies API Gateway passes as text; anything else (forms and multipart included) arrives base64-encoded. */
const TEXT_CONTENT_TYPE = /^(text\/[^;]+|application\/([\w.+-]*\+)?(json|xml|javascript))\s*(;|$)/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textOf(body: Buffer, contentType: string | undefined): string | undefined {
  if (!contentType || !TEXT_CONTENT_TYPE.test(contentType.trim())) return undefined;
  try {
    // Bytes that are not UTF-8 are passed base64-encoded so the handler sees (and can refuse) them as sent.
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `29/Jul/2026:14:32:10 +0000`, API Gateway's `requestContext.time`. */
export function requestTime(date: Date): string {
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** An id shaped like API Gateway's (`JKJaXmPLvHcESHA=`). */
export const newRequestId = (): string => randomBytes(10).toString('base64');

function traceId(now: Date): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** Lower-cased names; a repeated header's values joined with ',' (as API Gateway does). */
export function joinHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toLowerCase();
    const value = rawHeaders[index + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/** Decoded query parameters; repeated names joined with ','. Undefined when there are none. */
export function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

export function toHttpApiEvent(request: IncomingHttpRequest, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const now = options.now ?? new Date();
  const method = request.method.toUpperCase();
  const queryAt = request.url.indexOf('?');
  const rawPath = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
  const { routeKey: key, pathParameters } = routeFor(method, rawPath);

  const headers = joinHeaders(request.rawHeaders);
  // Payload 2.0 moves cookies out of the headers into their own list.
  const cookieHeader = headers['cookie'];
  delete headers['cookie'];
  const cookies = cookieHeader?.split(/;\s*/).filter((cookie) => cookie !== '');
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${request.sourceIp}` : request.sourceIp;
  headers['x-forwarded-proto'] = 'http';
  if (options.port !== undefined) headers['x-forwarded-port'] = String(options.port);
  headers['x-amzn-trace-id'] ??= traceId(now);

  const host = headers['host'] ?? 'localhost';
  const requestId = options.requestId ?? newRequestId();
  const query = queryParameters(rawQueryString);
  const text = request.body.length > 0 ? textOf(request.body, headers['content-type']) : undefined;
  const base64 = request.body.length > 0 && text === undefined;

  return {
    version: '2.0',
    routeKey: key,
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0]!.split(':')[0]!,
      http: {
        method,
        path: rawPath,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: options.stage ?? '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(request.body.length > 0 ? { body: base64 ? request.body.toString('base64') : text } : {}),
    isBase64Encoded: base64,
  };
}

export type HttpAnswer = Readonly<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>;

const jsonAnswer = (status: number, message: string): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

/** API Gateway's own answers when the integration fails. */
export const INTERNAL_SERVER_ERROR = jsonAnswer(500, 'Internal Server Error');
export const SERVICE_UNAVAILABLE = jsonAnswer(503, 'Service Unavailable');
export const PAYLOAD_TOO_LARGE = jsonAnswer(413, 'Request Entity Too Large');

/**
 * The function's result -> HTTP, by payload 2.0 rules: a result with `statusCode` is used as given
 * (`cookies` become Set-Cookie headers, a base64 body is decoded); anything else is JSON with 200.
 */
export function fromHttpApiResult(result: APIGatewayProxyResultV2 | undefined | null): HttpAnswer {
  if (result !== null && typeof result === 'object' && 'statusCode' in result && typeof result.statusCode === 'number') {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
    if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = [...result.cookies];
    const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    return { status: result.statusCode, headers, body };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? '');
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}
