import { HttpProblemError, PayloadError } from '../http-input/errors';
import { statusTitle } from '../http-input/problem-document';
import type { LogFields } from '../logger';

/**
 * Errors thrown by source adapters and the sources configuration: members of the one HTTP error
 * family (shared/http-input/errors.ts), so each carries the status the ingest answers and whether its
 * message may be shown to the sender (`expose`). Messages never contain body contents, emails, tokens
 * or secrets: they name a header, a field or a content type at most.
 *
 * Statuses are chosen with the senders' retry rules in mind: authentication
 * failures are 401, never 404 or 410, because Typeform disables a webhook on 404/410 and
 * ActiveCampaign deactivates one on 410.
 */

export type SourceErrorOptions = ErrorOptions & { readonly statusCode: number; readonly expose?: boolean };

/** The sources' own errors (authentication, origin, configuration). `message` is the problem's detail. */
export class SourceError extends HttpProblemError {
  constructor(message: string, { statusCode, expose, ...options }: SourceErrorOptions) {
    super({ title: statusTitle(statusCode), status: statusCode, detail: message }, { ...options, expose: expose ?? statusCode < 500 });
    this.name = 'SourceError';
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

  override logFields(): LogFields {
    return { authFailure: this.reason, credential: this.credential, detail: this.detail };
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
 * A payload an adapter cannot use (its shape, not its encoding: the body's content type, size, UTF-8
 * and JSON are checked by shared/http-input/body.ts, which throws the parent PayloadError).
 */
export class SourcePayloadError extends PayloadError {
  constructor(message: string, options: ConstructorParameters<typeof PayloadError>[1] = {}) {
    super(message, options);
    this.name = 'SourcePayloadError';
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

  override logFields(): LogFields {
    return this.issues.length > 0 ? { issues: this.issues } : {};
  }
}
