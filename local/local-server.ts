import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { IGNORED_EVENTS_HEADER, INCOMPLETE_COUNT_HEADER } from '../shared/ingest/incomplete';
import { describeError, type Logger } from '../shared/logger';
import {
  fromHttpApiResult,
  type HttpAnswer,
  INTERNAL_SERVER_ERROR,
  newRequestId,
  PAYLOAD_TOO_LARGE,
  routeFor,
  SERVICE_UNAVAILABLE,
  toHttpApiEvent,
} from './http-api-event';
import { createLambdaContext, FunctionTimeoutError, withTimeout } from './lambda-context';
import { readBody } from './read-body';

/**
 * One loopback HTTP server: `/_local/*` is local mode's own (status page and its JSON), everything else
 * goes through API Gateway's event conversion to the real ingest handler.
 */

export const LOCAL_PREFIX = '/_local';
/** API Gateway HTTP API's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export type IngestFunction = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2 | undefined | undefined>;

export type LocalRoute = (
  request: Readonly<{ method: string; path: string; query?: URLSearchParams; headers: IncomingMessage['headers']; body: Buffer }>,
) => Promise<HttpAnswer | undefined>;

export type LocalServerOptions = Readonly<{
  host: string;
  port: number;
  ingest: IngestFunction;
  /** Ingest function timeout (infra/constructs/signup-ingress.ts). */
  ingestTimeoutMs: number;
  region: string;
  localRoutes: LocalRoute;
  logger: Logger;
  /** Sees every answer of the API (not of /_local): the status page counts refusals from it. */
  onAnswer?: (answer: ApiAnswer) => void;
}>;

/**
 * What the API answered: the source (`api` for POST /signups, undefined for other paths), status and
 * Location, and the counts a 2xx reports for the metrics (shared/ingest/incomplete.ts): incomplete signups
 * the source ignored, events that were not signups.
 */
export type ApiAnswer = Readonly<{
  sourceId?: string;
  status: number;
  location?: string;
  incomplete?: number;
  ignoredEvents?: number;
  /**
   * The API request id (the `apigw-requestid` header of the answer) and the route key: what API Gateway's
   * access log holds. Absent for a 500 of the local server itself, which failed before it had an event.
   */
  requestId?: string;
  routeKey?: string;
}>;

/** A count header of an answer, when it is a positive integer. */
function countOf(headers: HttpAnswer['headers'], name: string): number | undefined {
  const count = Number(headers[name] ?? 0);
  return Number.isInteger(count) && count > 0 ? count : undefined;
}

/** The source a request was for, from the route API Gateway matched (the event's, or `routeFor`'s). */
function sourceOf(route: Readonly<{ routeKey: string; pathParameters?: Readonly<Record<string, string | undefined>> }>): { sourceId?: string } {
  const sourceId = route.pathParameters?.['sourceId'] ?? (route.routeKey.endsWith(' /signups') ? 'api' : undefined);
  return sourceId !== undefined ? { sourceId } : {};
}

export type LocalServer = Readonly<{ url: string; port: number; server: Server }>;

function send(res: ServerResponse, answer: HttpAnswer, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { ...answer.headers, ...extraHeaders, 'content-length': String(answer.body.length) });
  res.end(answer.body);
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { logger } = options;
  let port = options.port;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const read = await readBody(req, MAX_BODY_BYTES);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      if (!(path === LOCAL_PREFIX || path.startsWith(`${LOCAL_PREFIX}/`))) {
        // API Gateway refuses it before the function, and still answers with a request id.
        const route = routeFor(req.method ?? 'POST', path);
        const requestId = newRequestId();
        options.onAnswer?.({ ...sourceOf(route), status: PAYLOAD_TOO_LARGE.status, requestId, routeKey: route.routeKey });
        send(res, PAYLOAD_TOO_LARGE, { 'apigw-requestid': requestId });
        return;
      }
      send(res, PAYLOAD_TOO_LARGE);
      return;
    }
    const body = read.bytes;
    if (path === LOCAL_PREFIX || path.startsWith(`${LOCAL_PREFIX}/`)) {
      const query = new URLSearchParams(url.slice(path.length + 1));
      const answer = await options.localRoutes({ method: req.method ?? 'GET', path, query, headers: req.headers, body });
      send(res, answer ?? { status: 404, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"message":"Not Found"}') });
      return;
    }

    const event = toHttpApiEvent(
      {
        method: req.method ?? 'GET',
        url,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
      },
      { port },
    );
    const context = createLambdaContext({ functionName: 'signup-ingest-local', timeoutMs: options.ingestTimeoutMs, region: options.region });
    let answer: HttpAnswer;
    try {
      answer = fromHttpApiResult((await withTimeout(Promise.resolve(options.ingest(event, context)), options.ingestTimeoutMs)) ?? undefined);
    } catch (error) {
      // What API Gateway answers when the integration fails or times out.
      logger.error('ingest invocation failed', { requestId: event.requestContext.requestId, ...describeError(error) });
      answer = error instanceof FunctionTimeoutError ? SERVICE_UNAVAILABLE : INTERNAL_SERVER_ERROR;
    }
    const location = answer.headers['location'];
    const incomplete = countOf(answer.headers, INCOMPLETE_COUNT_HEADER);
    const ignoredEvents = countOf(answer.headers, IGNORED_EVENTS_HEADER);
    options.onAnswer?.({
      ...sourceOf(event),
      requestId: event.requestContext.requestId,
      routeKey: event.routeKey,
      status: answer.status,
      ...(typeof location === 'string' ? { location } : {}),
      ...(incomplete ? { incomplete } : {}),
      ...(ignoredEvents ? { ignoredEvents } : {}),
    });
    send(res, answer, { 'apigw-requestid': event.requestContext.requestId });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Every 500 has a log line with its cause, and is counted like any answer.
      logger.error('local server error', describeError(error));
      const path = (req.url ?? '/').split('?')[0]!;
      const local = path === LOCAL_PREFIX || path.startsWith(`${LOCAL_PREFIX}/`);
      if (!res.headersSent && !local) options.onAnswer?.({ status: INTERNAL_SERVER_ERROR.status });
      send(res, INTERNAL_SERVER_ERROR);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return { url: `http://${options.host}:${port}`, port, server };
}
