import type * as zod from 'zod';
import * as z from '../zod-mini';

/** RFC 9457 problem details. `errors` lists field problems as JSON Pointer paths, never input values. */
export const fieldProblemSchema = z.strictObject({
  path: z.string().check(z.meta({ description: 'JSON Pointer (RFC 6901) to the field, e.g. /1/email' })),
  message: z.string(),
});
export type FieldProblem = Readonly<z.infer<typeof fieldProblemSchema>>;

export const problemDocumentSchema = z
  .strictObject({
    type: z.string(),
    title: z.string(),
    status: z.int().check(z.gte(400), z.lte(599)),
    detail: z.optional(z.string()),
    errors: z.optional(z.array(fieldProblemSchema)),
  })
  .check(z.meta({ description: 'RFC 9457 problem details. Never contains submitted values, secrets or internals.' }));
export type ProblemDocument = Readonly<Omit<z.infer<typeof problemDocumentSchema>, 'errors'> & { errors?: readonly FieldProblem[] }>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const INTERNAL_ERROR_PROBLEM: ProblemDocument = {
  type: 'about:blank',
  title: 'Internal Server Error',
  status: 500,
  detail: 'The signup could not be processed. Nothing was enqueued.',
};

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

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const statusTitle = (status: number): string => TITLES[status] ?? (status < 500 ? 'Client Error' : 'Server Error');

/** zod issue path -> JSON Pointer (RFC 6901), e.g. ['address','city'] -> '/address/city'. */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** zod issues -> field problems. zod 4 leaves input values out of its messages, so nothing personal leaks. */
export function toFieldProblems(issues: readonly zod.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FieldProblem[] {
  return issues.map((issue) => ({ path: toJsonPointer([...prefix, ...issue.path]) || '/', message: issue.message }));
}
