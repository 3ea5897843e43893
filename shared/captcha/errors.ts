import { HttpProblemError } from '../http-input/errors';
import type { LogFields } from '../logger';

/**
 * Errors of the CAPTCHA check (shared/captcha/verify-captcha.ts). Both fail closed: nothing is enqueued.
 * Messages are safe to show to the person; `reason` (provider error codes, the check that failed) is for
 * operators' logs only and never holds the token or the secret.
 */

/** The token is missing, was refused by the provider, or was solved elsewhere: 403, the form's error page. */
export class CaptchaRefusedError extends HttpProblemError {
  constructor(readonly reason: string) {
    super({ title: 'Forbidden', status: 403, detail: 'The CAPTCHA check failed; please try again.' });
    this.name = 'CaptchaRefusedError';
  }

  override logFields(): LogFields {
    return { detail: this.message, captcha: this.reason };
  }
}

/** siteverify timed out, failed or answered nonsense: 503 (the error page for a native post); retryable. */
export class CaptchaUnavailableError extends HttpProblemError {
  readonly retryable = true;
  constructor(
    readonly reason: string,
    options: ErrorOptions = {},
  ) {
    super(
      { title: 'Service Unavailable', status: 503, detail: 'The CAPTCHA could not be checked right now; please try again.' },
      { ...options, headers: { 'retry-after': '5' } },
    );
    this.name = 'CaptchaUnavailableError';
  }

  override logFields(): LogFields {
    return { detail: this.message, captcha: this.reason };
  }
}
