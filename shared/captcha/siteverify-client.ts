import { CaptchaUnavailableError } from './errors';
import type { CaptchaVerifier, SiteverifyAnswer } from './verify-captcha';

/**
 * The siteverify adapter: one form-encoded POST of `secret` and `response` (what Turnstile, hCaptcha and
 * reCAPTCHA all accept; plus `sitekey` for hCaptcha), bounded by the source's timeout. Anything but a JSON object with a boolean
 * `success` is CaptchaUnavailableError, so a broken or slow provider never lets a post through.
 */
export function createSiteverifyClient(fetchImpl: typeof fetch = fetch): CaptchaVerifier {
  return {
    async siteverify({ url, secret, token, timeoutMs, sitekey }): Promise<SiteverifyAnswer> {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          // hCaptcha takes the expected `sitekey` beside them and refuses a token of another sitekey.
          body: new URLSearchParams({ secret, response: token, ...(sitekey !== undefined ? { sitekey } : {}) }).toString(),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (error) {
        throw new CaptchaUnavailableError(
          error instanceof Error && error.name === 'TimeoutError' ? `siteverify timed out after ${timeoutMs} ms` : 'siteverify unreachable',
          { cause: error },
        );
      }
      if (!response.ok) throw new CaptchaUnavailableError(`siteverify answered HTTP ${response.status}`);
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throw new CaptchaUnavailableError('siteverify answered something other than JSON', { cause: error });
      }
      if (typeof body !== 'object' || body === null || typeof (body as { success?: unknown }).success !== 'boolean') {
        throw new CaptchaUnavailableError('siteverify answered without a boolean success');
      }
      const fields = body as Record<string, unknown>;
      const codes = fields['error-codes'];
      return {
        success: fields.success === true,
        ...(typeof fields.hostname === 'string' ? { hostname: fields.hostname } : {}),
        ...(typeof fields.action === 'string' ? { action: fields.action } : {}),
        ...(typeof fields.score === 'number' ? { score: fields.score } : {}),
        errorCodes: Array.isArray(codes) ? codes.filter((code): code is string => typeof code === 'string') : [],
      };
    },
  };
}
