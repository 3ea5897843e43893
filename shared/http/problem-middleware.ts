import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logRefusal, toProblemResponse } from '../http-input/refusal';
import type { Logger } from '../logger';

/**
 * middy error edge for the HTTP API: every error becomes a problem document through `toRefusal`
 * (shared/http-input/refusal.ts) and nowhere else. Internal errors are logged (name and message only)
 * and answered with a generic 500.
 */
export function problemResponses(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      logRefusal(logger, request.error);
      request.response = toProblemResponse(request.error);
    },
  };
}

/** A source's own literal route (`POST /sources/<id>-<routeToken>`) as its template: the route token never reaches a log. */
const LITERAL_SOURCE_ROUTE = /^([A-Z]+) \/sources\/[^/{}\s]+$/;

/**
 * Keeps the API request id and the route on every log line of the invocation (the source itself is
 * `sourceId`, once the ingest knows it). The wiring clears the keys between invocations
 * (functions/ingest/build-handler.ts), so the correlation id Powertools adds stays.
 */
export function requestLogKeys(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request) => {
      const route = request.event.routeKey?.replace(LITERAL_SOURCE_ROUTE, '$1 /sources/{sourceId}');
      logger.appendKeys({ requestId: request.event.requestContext?.requestId, route });
    },
  };
}
