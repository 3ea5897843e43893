import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logRefusal, toProblemResponse } from '../http-input/refusal';
import { CANONICAL_SOURCE_ID } from '../ingest/ingest-sources';
import type { Logger } from '../logger';
import { TRACE_FIELD, TraceEvent, writeTrace } from '../trace/trace-events';

/**
 * middy error edge for the HTTP API: every error becomes a problem document through `toRefusal`
 * (shared/http-input/refusal.ts) and nowhere else. Internal errors are logged (name and message only)
 * and answered with a generic 500. The log line is the request's `refused` trace line.
 */
export function problemResponses(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      logRefusal(logger, request.error, { [TRACE_FIELD]: TraceEvent.refused });
      request.response = toProblemResponse(request.error);
    },
  };
}

/** A source's own literal route (`POST /sources/<id>-<routeToken>`) as its template: the route token never reaches a log. */
const LITERAL_SOURCE_ROUTE = /^([A-Z]+) \/sources\/[^/{}\s]+$/;
const SOURCE_PATH = /^\/sources\/([^/]+)$/;

/**
 * Keeps the API request id and the route on every log line of the invocation, and writes the request's
 * `received` trace line. The wiring clears the keys between invocations (functions/ingest/build-handler.ts),
 * so the correlation id Powertools adds stays. The source is named only when the path is a configured
 * source's route (`sourceIdOf`: its `<id>-<routeToken>` segment): a made-up path is not echoed into the logs.
 */
export function requestLogKeys(
  logger: Logger,
  sourceIdOf: (segment: string) => string | undefined = () => undefined,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request) => {
      const { event } = request;
      const route = event.routeKey?.replace(LITERAL_SOURCE_ROUTE, '$1 /sources/{sourceId}');
      logger.appendKeys({ requestId: event.requestContext?.requestId, route });
      const segment = event.pathParameters?.['sourceId'] ?? SOURCE_PATH.exec(event.rawPath ?? '')?.[1];
      const sourceId = segment === undefined ? (event.rawPath === '/signups' ? CANONICAL_SOURCE_ID : undefined) : sourceIdOf(segment);
      writeTrace(logger, TraceEvent.received, 'request received', { method: event.requestContext?.http?.method, ...(sourceId ? { sourceId } : {}) });
    },
  };
}
