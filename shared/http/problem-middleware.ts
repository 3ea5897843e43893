import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describeError, type Logger } from '../logger';
import { HttpProblemError, toProblemResponse } from './problem';

/**
 * middy error edge for the HTTP API: every error becomes a problem document here and nowhere else.
 * Internal errors are logged (name and message only) and answered with a generic 500.
 */
export function problemResponses(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof HttpProblemError && error.expose) {
        logger.info('request refused', { status: error.statusCode, reason: error.problem.title, ...(error.cause ? { cause: describeError(error.cause) } : {}) });
      } else {
        logger.error('request failed', describeError(error));
      }
      request.response = toProblemResponse(error);
    },
  };
}

/** Keeps the API request id on every log line of the invocation, and nothing from the previous one. */
export function requestLogKeys(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request) => {
      logger.resetKeys();
      logger.appendKeys({ requestId: request.event.requestContext?.requestId, route: request.event.routeKey });
    },
  };
}
