import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describeError, type Logger } from '../logger';
import { SourceAuthError, SourceConfigError, SourceError } from '../sources/errors';
import { HttpProblemError, toProblemResponse, toRefusal } from './problem';

/**
 * Logs why a request was refused: ids, statuses and reasons only. Error messages of our own classes
 * name fields, headers and source ids, never values; an authentication failure's `detail` says what
 * failed (for operators) and is never part of the response.
 */
export function logRefusal(logger: Logger, error: unknown): void {
  const { problem, exposed } = toRefusal(error);
  if (!exposed) {
    logger.error('request failed', {
      status: problem.status,
      ...describeError(error),
      ...(error instanceof SourceConfigError && error.issues.length > 0 ? { issues: error.issues } : {}),
    });
    return;
  }
  logger.info('request refused', {
    status: problem.status,
    reason: problem.title,
    ...(error instanceof SourceAuthError ? { authFailure: error.reason, credential: error.credential, detail: error.detail } : {}),
    ...(error instanceof SourceError && !(error instanceof SourceAuthError) ? { detail: error.message } : {}),
    ...(error instanceof HttpProblemError && error.cause ? { cause: describeError(error.cause) } : {}),
  });
}

/**
 * middy error edge for the HTTP API: every error becomes a problem document here and nowhere else.
 * Internal errors are logged (name and message only) and answered with a generic 500.
 */
export function problemResponses(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      logRefusal(logger, request.error);
      request.response = toProblemResponse(request.error);
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
