import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logRefusal, toProblemResponse } from '../http-input/refusal';
import { CANONICAL_SOURCE_ID } from '../ingest/ingest-sources';
import type { LogFields, Logger } from '../logger';
import { TRACE_FIELD, TraceEvent, writeTrace } from '../trace/trace-events';
import { IngestOutOfTimeError } from './errors';

export type ProblemResponseOptions = Readonly<{
  /** What the log line of a request that ran out of time adds: what it was waiting for (shared/aws/pending-calls.ts). */
  outOfTimeFields?: () => LogFields;
}>;

/**
 * middy error edge for the HTTP API: every error becomes a problem document through `toRefusal`
 * (shared/http-input/refusal.ts) and nowhere else. Internal errors are logged (name and message only)
 * and answered with a generic 500. The log line is the request's `refused` trace line. A request that ran
 * out of time (IngestOutOfTimeError, from middy's early timeout) is logged as an error with what it was
 * waiting for, and answered 503 + Retry-After.
 */
export function problemResponses(logger: Logger, options: ProblemResponseOptions = {}): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof IngestOutOfTimeError) {
        writeTrace(
          logger,
          TraceEvent.refused,
          'ingest ran out of time before answering; answered 503 so the sender retries',
          { status: error.statusCode, ...(error.timeoutMs !== undefined ? { timeoutMs: error.timeoutMs } : {}), ...options.outOfTimeFields?.() },
          'error',
        );
      } else logRefusal(logger, error, { [TRACE_FIELD]: TraceEvent.refused });
      request.response = toProblemResponse(error);
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
