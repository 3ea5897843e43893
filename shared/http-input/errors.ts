import { describeError, type LogFields } from '../logger';
import { type ProblemDocument, statusTitle } from './problem-document';

/**
 * The one error family of the ingest's HTTP answers. Every refusal (400, 401, 403, 404, 413, 415,
 * 422, 503) is an HttpProblemError or a subclass (shared/sources/errors.ts adds the sources' own), and
 * `toRefusal` (./refusal.ts) is the single place one becomes a problem+json answer. Messages never
 * contain body contents, emails, tokens or secrets: they name a header, a field or a content type at most.
 */
export class HttpProblemError extends Error {
  readonly statusCode: number;
  readonly problem: ProblemDocument;
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the problem may be shown to the caller; anything else is answered with a generic 500. */
  readonly expose: boolean;
  /** Ids and hashes the code that refused knew by then (the signups' email hashes of a 422), for the log line only. */
  private traceFields: LogFields = {};

  constructor(problem: Omit<ProblemDocument, 'type'> & { type?: string }, options: ErrorOptions & { headers?: Record<string, string>; expose?: boolean } = {}) {
    const { headers, expose, ...errorOptions } = options;
    super(problem.detail ?? problem.title, errorOptions);
    this.name = 'HttpProblemError';
    this.statusCode = problem.status;
    this.problem = { type: problem.type ?? 'about:blank', ...problem };
    this.headers = headers ?? {};
    this.expose = expose ?? (problem.status < 500 || problem.status === 503);
  }

  /** What operators' logs get about this refusal: names and reasons, never submitted values. */
  logFields(): LogFields {
    return { detail: this.message, ...(this.cause ? { cause: describeError(this.cause) } : {}) };
  }

  /** Adds ids for the refusal's log line (never values: hashes and ids only); returns the error, to throw it. */
  withTraceFields(fields: LogFields): this {
    this.traceFields = { ...this.traceFields, ...fields };
    return this;
  }

  /** What withTraceFields added. */
  tracedFields(): LogFields {
    return this.traceFields;
  }
}

/**
 * 400 (malformed body or field), 413 (too large) or 415 (unsupported content type). `field` names the
 * offending field or header when there is one; the value itself is never included.
 */
export class PayloadError extends HttpProblemError {
  readonly field: string | undefined;

  constructor(message: string, options: ErrorOptions & { statusCode?: 400 | 413 | 415; field?: string } = {}) {
    const { statusCode = 400, field, ...rest } = options;
    super({ title: statusTitle(statusCode), status: statusCode, detail: message }, rest);
    this.name = 'PayloadError';
    this.field = field;
  }
}
