import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logRefusal, toProblemResponse } from '../http-input/refusal';
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

const SOURCE_PATH = /^\/sources\/([a-z0-9-]{1,64})$/;

/**
 * Keeps the API request id on every log line of the invocation, and writes the request's `received`
 * trace line. The wiring clears the keys between invocations (functions/ingest/build-handler.ts), so the
 * correlation id Powertools adds stays. The source id is the one the path names (configured or not).
 */
export function requestLogKeys(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request) => {
      const { event } = request;
      logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
      const sourceId = event.pathParameters?.['sourceId'] ?? SOURCE_PATH.exec(event.rawPath ?? '')?.[1];
      writeTrace(logger, TraceEvent.received, 'request received', {
        method: event.requestContext?.http?.method,
        ...(sourceId !== undefined && SOURCE_PATH.test(`/sources/${sourceId}`) ? { sourceId } : {}),
      });
    },
  };
}
