import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CaptchaUnavailableError } from './errors';
import type { CaptchaVerifier, SiteverifyAnswer } from './verify-captcha';

/**
 * The siteverify adapter: one form-encoded POST of `secret` and `response` (what Turnstile, hCaptcha and
 * reCAPTCHA all accept; plus `sitekey` for hCaptcha), bounded by the source's timeout. Anything but a JSON object with a boolean
 * `success` is CaptchaUnavailableError, so a broken or slow provider never lets a post through; a redirect is
 * not followed (it is not an answer).
 *
 * node:https rather than fetch: the AWS SDK has node:https loaded already, while a process's first fetch
 * loads Node's built-in undici, tens of ms of CPU that a person posting a form to a cold function would wait
 * for (docs/benchmarks.md, the cold answer).
 */

/** A siteverify answer is a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

type RawAnswer = Readonly<{ status: number; body: string }>;

function post(url: string, form: string, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
    if (!send) {
      reject(new CaptchaUnavailableError(`siteverify URL has an unsupported scheme ${target.protocol}`));
      return;
    }
    const request = send(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'content-length': Buffer.byteLength(form) },
    });
    const timer = setTimeout(() => request.destroy(new CaptchaUnavailableError(`siteverify timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error instanceof CaptchaUnavailableError ? error : new CaptchaUnavailableError('siteverify unreachable', { cause: error }));
    };
    request.on('error', fail);
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) request.destroy(new CaptchaUnavailableError('siteverify answered more than a siteverify answer'));
        else chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(form);
  });
}

export function createSiteverifyClient(): CaptchaVerifier {
  return {
    async siteverify({ url, secret, token, timeoutMs, sitekey }): Promise<SiteverifyAnswer> {
      // hCaptcha takes the expected `sitekey` beside them and refuses a token of another sitekey.
      const form = new URLSearchParams({ secret, response: token, ...(sitekey !== undefined ? { sitekey } : {}) }).toString();
      const answer = await post(url, form, timeoutMs);
      if (answer.status < 200 || answer.status > 299) throw new CaptchaUnavailableError(`siteverify answered HTTP ${answer.status}`);
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
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
