/**
 * Errors thrown by source adapters and the sources configuration (style.md #5, #6).
 *
 * Every class carries the HTTP status the ingest should answer and whether its message may be shown
 * to the sender (`expose`). Messages never contain body contents, emails, tokens or secrets: they
 * name a header, a field or a content type at most.
 *
 * Statuses are chosen with the senders' retry rules in mind (reference/sources.md "Retry-sensitive
 * response codes"): authentication failures are 401, never 404 or 410, because Typeform disables a
 * webhook on 404/410 and ActiveCampaign deactivates one on 410.
 */

export type SourceErrorOptions = ErrorOptions & { readonly statusCode: number; readonly expose?: boolean };

/** Base class: catch this to handle every error an adapter may throw. */
export class SourceError extends Error {
  readonly statusCode: number;
  /** Whether `message` may be sent to the caller (only for statuses below 500). */
  readonly expose: boolean;

  constructor(message: string, { statusCode, expose, ...options }: SourceErrorOptions) {
    super(message, options);
    this.name = 'SourceError';
    this.statusCode = statusCode;
    this.expose = expose ?? statusCode < 500;
  }
}

export type AuthFailure = 'missing' | 'invalid';
export type AuthCredential = 'signature' | 'token';

/**
 * 401: a missing or wrong signature or token. The message says only "missing" or "invalid", so a
 * prober cannot tell a stale timestamp from a wrong secret; `detail` is for logs only.
 */
export class SourceAuthError extends SourceError {
  readonly reason: AuthFailure;
  readonly credential: AuthCredential;
  /** Why verification failed, for operators' logs. Never part of the response. */
  readonly detail: string;

  constructor(reason: AuthFailure, credential: AuthCredential, detail: string, options: ErrorOptions = {}) {
    super(`${reason === 'missing' ? 'Missing' : 'Invalid'} ${credential}`, { ...options, statusCode: 401, expose: true });
    this.name = 'SourceAuthError';
    this.reason = reason;
    this.credential = credential;
    this.detail = detail;
  }
}

/** 403: the request came from a browser origin that is not on the source's allow-list. */
export class SourceForbiddenError extends SourceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, statusCode: 403, expose: true });
    this.name = 'SourceForbiddenError';
  }
}

/**
 * 400 (malformed body or field), 413 (too large) or 415 (unsupported content type). `field` names the
 * offending field or header when there is one; the value itself is never included.
 */
export class SourcePayloadError extends SourceError {
  readonly field: string | undefined;

  constructor(message: string, options: ErrorOptions & { statusCode?: 400 | 413 | 415; field?: string } = {}) {
    const { statusCode = 400, field, ...rest } = options;
    super(message, { ...rest, statusCode, expose: true });
    this.name = 'SourcePayloadError';
    this.field = field;
  }
}

/**
 * The sources configuration or a source's secret is unusable. At synth or cold start it lists every
 * problem in `issues`; at request time it is a 500 whose message is not shown to the sender (the
 * data may be fine; the deployment is not), and senders retry a 5xx.
 */
export class SourceConfigError extends SourceError {
  readonly issues: readonly string[];

  constructor(message: string, options: ErrorOptions & { issues?: readonly string[] } = {}) {
    const { issues = [], ...rest } = options;
    super(issues.length > 0 ? `${message}\n${issues.map((issue) => `  - ${issue}`).join('\n')}` : message, {
      ...rest,
      statusCode: 500,
      expose: false,
    });
    this.name = 'SourceConfigError';
    this.issues = issues;
  }
}
