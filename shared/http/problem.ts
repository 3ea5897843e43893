import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** RFC 9457 problem details. `errors` lists field problems as JSON Pointer paths, never input values. */
export type FieldProblem = Readonly<{ path: string; message: string }>;

export type ProblemDocument = Readonly<{
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: readonly FieldProblem[];
}>;

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
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
    body: JSON.stringify(problem),
  };
}

export const INTERNAL_ERROR_PROBLEM: ProblemDocument = {
  type: 'about:blank',
  title: 'Internal Server Error',
  status: 500,
  detail: 'The signup could not be processed. Nothing was enqueued.',
};

/** The single place an error becomes an HTTP answer (style.md #7). */
export function toProblemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof HttpProblemError && error.expose) {
    return problemResponse(error.problem, error.headers);
  }
  return problemResponse(INTERNAL_ERROR_PROBLEM);
}

/** zod issue path -> JSON Pointer (RFC 6901), e.g. ['address','city'] -> '/address/city'. */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
