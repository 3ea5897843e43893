import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logRefusal, toProblemResponse } from '../http-input/refusal';
import type { LogFields, Logger } from '../logger';
import { IngestOutOfTimeError } from './errors';

export type ProblemResponseOptions = Readonly<{
  /** What the log line of a request that ran out of time adds: what it was waiting for (shared/aws/pending-calls.ts). */
  outOfTimeFields?: () => LogFields;
}>;

/**
 * middy error edge for the HTTP API: every error becomes a problem document through `toRefusal`
 * (shared/http-input/refusal.ts) and nowhere else. Internal errors are logged (name and message only)
 * and answered with a generic 500. A request that ran out of time (IngestOutOfTimeError, from middy's
 * early timeout) is logged as an error with what it was waiting for, and answered 503 + Retry-After.
 */
export function problemResponses(logger: Logger, options: ProblemResponseOptions = {}): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof IngestOutOfTimeError) {
        logger.error('ingest ran out of time before answering; answered 503 so the sender retries', {
          status: error.statusCode,
          ...(error.timeoutMs !== undefined ? { timeoutMs: error.timeoutMs } : {}),
          ...options.outOfTimeFields?.(),
        });
      } else logRefusal(logger, error);
      request.response = toProblemResponse(error);
    },
  };
}

/**
 * Keeps the API request id on every log line of the invocation. The wiring clears the keys between
 * invocations (functions/ingest/build-handler.ts), so the correlation id Powertools adds stays.
 */
export function requestLogKeys(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request) => {
      logger.appendKeys({ requestId: request.event.requestContext?.requestId, route: request.event.routeKey });
    },
  };
}
