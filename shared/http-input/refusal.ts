import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describeError, type LogFields, type Logger } from '../logger';
import { HttpProblemError } from './errors';
import { INTERNAL_ERROR_PROBLEM, PROBLEM_CONTENT_TYPE, type ProblemDocument, UNAUTHORIZED_PROBLEM } from './problem-document';

export type Refusal = Readonly<{ problem: ProblemDocument; headers: Readonly<Record<string, string>>; exposed: boolean }>;

/**
 * The single place an error becomes an HTTP answer: an exposed HttpProblemError (or subclass) as its
 * problem document, every 401 as the same UNAUTHORIZED_PROBLEM, anything else a generic 500.
 */
export function toRefusal(error: unknown): Refusal {
  if (!(error instanceof HttpProblemError) || !error.expose) return { problem: INTERNAL_ERROR_PROBLEM, headers: {}, exposed: false };
  if (error.statusCode === 401) return { problem: UNAUTHORIZED_PROBLEM, headers: {}, exposed: true };
  return { problem: error.problem, headers: error.headers, exposed: true };
}

export function problemResponse(problem: ProblemDocument, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problem),
  };
}

export function toProblemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const { problem, headers } = toRefusal(error);
  return problemResponse(problem, headers);
}

/** The error's cause (one level, name and message only), when it has one. */
function causeOf(error: unknown): Record<string, unknown> {
  return error instanceof Error && error.cause !== undefined ? { cause: describeError(error.cause) } : {};
}

/** The HTTP status and attempts of the AWS call behind the error (its own `$metadata`, or its cause's): numbers only. */
function awsCallOf(error: unknown): Record<string, unknown> {
  type WithMetadata = { $metadata?: { httpStatusCode?: unknown; attempts?: unknown }; cause?: unknown } | null;
  const metadata = (error as WithMetadata)?.$metadata ?? ((error as WithMetadata)?.cause as WithMetadata)?.$metadata;
  if (typeof metadata !== 'object' || metadata === null) return {};
  return {
    ...(typeof metadata.httpStatusCode === 'number' ? { awsHttpStatus: metadata.httpStatusCode } : {}),
    ...(typeof metadata.attempts === 'number' ? { awsAttempts: metadata.attempts } : {}),
  };
}

/**
 * Logs why a request was refused: ids, statuses and reasons only (each error's `logFields`, the field
 * paths of a 422, and what the caller adds: the trace event name). An authentication failure's reason is
 * for operators and never part of the response.
 */
export function logRefusal(logger: Logger, error: unknown, extra: LogFields = {}): void {
  const { problem, exposed } = toRefusal(error);
  const fields = error instanceof HttpProblemError ? { ...error.logFields(), ...error.tracedFields() } : {};
  if (!exposed) {
    // Every 500 says why: the error, what caused it, and for an AWS call its HTTP status and attempts.
    logger.error('request failed', { ...extra, status: problem.status, ...fields, ...describeError(error), ...causeOf(error), ...awsCallOf(error) });
    return;
  }
  const paths = problem.errors?.map((issue) => issue.path).slice(0, 20);
  logger.info('request refused', { ...extra, status: problem.status, reason: problem.title, ...(paths ? { fields: paths } : {}), ...fields });
}
