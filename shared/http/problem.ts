import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { SourceError } from '../sources/errors';

/** RFC 9457 problem details. `errors` lists field problems as JSON Pointer paths, never input values. */
export const fieldProblemSchema = z.strictObject({
  path: z.string().meta({ description: 'JSON Pointer (RFC 6901) to the field, e.g. /1/email' }),
  message: z.string(),
});
export type FieldProblem = Readonly<z.infer<typeof fieldProblemSchema>>;

export const problemDocumentSchema = z
  .strictObject({
    type: z.string(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    errors: z.array(fieldProblemSchema).optional(),
  })
  .meta({ description: 'RFC 9457 problem details. Never contains submitted values, secrets or internals.' });
export type ProblemDocument = Readonly<Omit<z.infer<typeof problemDocumentSchema>, 'errors'> & { errors?: readonly FieldProblem[] }>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class HttpProblemError extends Error {
  readonly statusCode: number;
  readonly problem: ProblemDocument;
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the problem may be shown to the caller; internal failures are replaced by a generic 500. */
  readonly expose: boolean;

  constructor(
    problem: Omit<ProblemDocument, 'type'> & { type?: string },
    options: ErrorOptions & { headers?: Record<string, string> } = {},
  ) {
    super(problem.detail ?? problem.title, options);
    this.name = 'HttpProblemError';
    this.statusCode = problem.status;
    this.problem = { type: problem.type ?? 'about:blank', ...problem };
    this.headers = options.headers ?? {};
    this.expose = problem.status < 500 || problem.status === 503;
  }
}

export function problemResponse(
  problem: ProblemDocument,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problem),
  };
}

export const INTERNAL_ERROR_PROBLEM: ProblemDocument = {
  type: 'about:blank',
  title: 'Internal Server Error',
  status: 500,
  detail: 'The signup could not be processed. Nothing was enqueued.',
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  503: 'Service Unavailable',
};

export const statusTitle = (status: number): string => TITLES[status] ?? (status < 500 ? 'Client Error' : 'Server Error');

/**
 * Every 401 reads the same, whatever failed (missing or wrong signature, wrong token, stale timestamp,
 * unknown source id), so probing the API reveals nothing. The reason is logged, not answered.
 */
export const UNAUTHORIZED_PROBLEM: ProblemDocument = {
  type: 'about:blank',
  title: 'Unauthorized',
  status: 401,
  detail: 'The request could not be authenticated: check the URL, the signature or the token.',
};

export type Refusal = Readonly<{ problem: ProblemDocument; headers: Readonly<Record<string, string>>; exposed: boolean }>;

/**
 * The single place an error becomes an HTTP answer (style.md #7): an exposed HttpProblemError as it
 * is, an exposed SourceError (adapters: 400/401/403/413/415) with its safe message, anything else a
 * generic 500.
 */
export function toRefusal(error: unknown): Refusal {
  if (error instanceof HttpProblemError && error.expose) return { problem: error.problem, headers: error.headers, exposed: true };
  if (error instanceof SourceError && error.expose && error.statusCode >= 400 && error.statusCode < 500) {
    if (error.statusCode === 401) return { problem: UNAUTHORIZED_PROBLEM, headers: {}, exposed: true };
    return {
      problem: { type: 'about:blank', title: statusTitle(error.statusCode), status: error.statusCode, detail: error.message },
      headers: {},
      exposed: true,
    };
  }
  return { problem: INTERNAL_ERROR_PROBLEM, headers: {}, exposed: false };
}

export function toProblemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const { problem, headers } = toRefusal(error);
  return problemResponse(problem, headers);
}

/** zod issue path -> JSON Pointer (RFC 6901), e.g. ['address','city'] -> '/address/city'. */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
