import { CaptchaRefusedError } from './errors';

/**
 * Server-side CAPTCHA check of an html-form post (docs/trust.md, "Public forms"): Cloudflare Turnstile,
 * hCaptcha or Google reCAPTCHA v3, each through its provider's siteverify endpoint. Fails closed: a
 * missing token, a refusal, an answer without a hostname or with another one, another action, a reCAPTCHA score
 * under the threshold (CaptchaRefusedError, 403), and a timeout, an HTTP error or an answer that is not
 * JSON (CaptchaUnavailableError, 503) all leave the signup out of the queue.
 *
 * Tokens are single-use at the provider (a second check answers `timeout-or-duplicate`); the ingest sends
 * each token once: a double-clicked form is folded by the delivery ledger before its token is checked.
 */

/** The CAPTCHA providers an html-form source can require (its `captcha.provider`). */
export const CAPTCHA_PROVIDERS = ['turnstile', 'hcaptcha', 'recaptcha-v3'] as const;
export type CaptchaProvider = (typeof CAPTCHA_PROVIDERS)[number];

/** An html-form source's `captcha`, defaults applied (validated in shared/sources/source-config.ts). */
export type CaptchaConfig = Readonly<{
  provider: CaptchaProvider;
  hostnames?: readonly string[] | undefined;
  action?: string | undefined;
  minScore: number;
  verifyUrl?: string | undefined;
  timeoutMs: number;
  /** hCaptcha: the widget's sitekey, sent to siteverify (its secret is account-wide); required there by the config schema. */
  sitekey?: string | undefined;
}>;

/** The form field each provider's widget fills (also the JSON key of a fetch post). */
export const CAPTCHA_TOKEN_FIELDS: Readonly<Record<CaptchaProvider, string>> = {
  turnstile: 'cf-turnstile-response',
  hcaptcha: 'h-captcha-response',
  'recaptcha-v3': 'g-recaptcha-response',
};

/** The providers' public endpoints; a source's `captcha.verifyUrl` replaces them (local mode, tests). */
export const SITEVERIFY_URLS: Readonly<Record<CaptchaProvider, string>> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
  'recaptcha-v3': 'https://www.google.com/recaptcha/api/siteverify',
};

/** Turnstile documents tokens of at most 2048 characters; the others are given room, not unbounded. */
const MAX_TOKEN_LENGTH: Readonly<Record<CaptchaProvider, number>> = { turnstile: 2048, hcaptcha: 8192, 'recaptcha-v3': 8192 };

/** What siteverify answers (the fields the three providers share, and reCAPTCHA v3's score). */
export type SiteverifyAnswer = Readonly<{
  success: boolean;
  hostname?: string;
  action?: string;
  score?: number;
  errorCodes: readonly string[];
}>;

/** The port to the provider: one siteverify call (the adapter is ./siteverify-client.ts). */
export interface CaptchaVerifier {
  /** Throws CaptchaUnavailableError when no usable answer came back in time. */
  siteverify(request: Readonly<{ url: string; secret: string; token: string; timeoutMs: number; sitekey?: string | undefined }>): Promise<SiteverifyAnswer>;
}

export type CaptchaCheck = Readonly<{
  config: CaptchaConfig;
  /** The provider's secret key (the source's `captchaSecret` in the sources secret). */
  secret: string;
  /** The token the form posted; undefined when the field was missing or empty. */
  token: string | undefined;
  /** The hostnames a token may have been solved on (config.hostnames, else the allowed origins' hosts). */
  hostnames: readonly string[];
}>;

/** Checks the token with the provider; resolves when the person passed, throws otherwise (see above). */
export async function verifyCaptcha(verifier: CaptchaVerifier, { config, secret, token, hostnames }: CaptchaCheck): Promise<void> {
  if (token === undefined || token.trim() === '') throw new CaptchaRefusedError('no token posted');
  if (token.length > MAX_TOKEN_LENGTH[config.provider]) throw new CaptchaRefusedError('token too long');
  const answer = await verifier.siteverify({
    url: config.verifyUrl ?? SITEVERIFY_URLS[config.provider],
    secret,
    token,
    timeoutMs: config.timeoutMs,
    ...(config.sitekey !== undefined ? { sitekey: config.sitekey } : {}),
  });
  if (!answer.success) throw new CaptchaRefusedError(`provider refused: ${answer.errorCodes.join(',') || 'no error code'}`);
  // No hostname is no proof: a token minted where the provider does not report one (an app, a key with
  // the domain check off) would otherwise pass for any form (docs/security.md).
  if (answer.hostname === undefined || answer.hostname.trim() === '') throw new CaptchaRefusedError('no hostname in the answer');
  if (!hostnames.includes(answer.hostname.toLowerCase())) throw new CaptchaRefusedError('solved on another hostname');
  if (config.action !== undefined && answer.action !== config.action) throw new CaptchaRefusedError('solved for another action');
  if (config.provider === 'recaptcha-v3') {
    if (answer.score === undefined) throw new CaptchaRefusedError('no score (not a reCAPTCHA v3 token)');
    if (answer.score < config.minScore) throw new CaptchaRefusedError(`score ${answer.score} under ${config.minScore}`);
  }
}

/** The default hostnames: those of the source's allowed origins. */
export const hostnamesOf = (origins: readonly string[]): string[] => origins.map((origin) => new URL(origin).hostname.toLowerCase());
