import type { ConfirmationMailSettings } from './double-opt-in';

/**
 * The confirmation mail of double opt-in: the same content whether SES sends it or local mode's outbox
 * keeps it. Plain text and HTML, both with the link spelled out (some clients show only one part), what
 * it is for, how long it works, and that ignoring it subscribes nobody: the person did not necessarily
 * sign up themselves (that is what the mail is for).
 */

export type ConfirmationMail = Readonly<{
  to: string;
  from: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  /** The confirmation link in the mail. */
  link: string;
  configurationSet?: string;
}>;

/** The port: SES v2 in Lambda (shared/aws/ses-confirmation-mailer.ts), local mode's outbox. */
export interface ConfirmationMailer {
  /** Throws ConfirmationMailError when the mail was not accepted. */
  send(mail: ConfirmationMail): Promise<void>;
}

/** Why a mail was not sent: retryable (throttled, unavailable) or not (this address or message is refused). */
export class ConfirmationMailError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfirmationMailError';
    this.retryable = retryable;
  }
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] ?? character);

export function composeConfirmationMail(to: string, link: string, settings: ConfirmationMailSettings): ConfirmationMail {
  const hours = settings.expiresHours;
  const validity = hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hour${hours === 1 ? '' : 's'}`;
  const intro = settings.intro ?? 'Someone, hopefully you, asked to receive our newsletter at this address.';
  const ask = 'Please confirm that you want it:';
  const ignore = `The link works for ${validity}. If you did not ask for this, ignore this email: you will not be subscribed.`;
  const text = [intro, '', ask, link, '', ignore, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    `<p>${escapeHtml(intro)}</p>`,
    `<p>${escapeHtml(ask)}</p>`,
    `<p><a href="${escapeHtml(link)}">Confirm my subscription</a></p>`,
    `<p style="font-size:small">Or open this address: ${escapeHtml(link)}</p>`,
    `<p style="font-size:small">${escapeHtml(ignore)}</p>`,
    '</body></html>',
  ].join('');
  return {
    to,
    from: settings.from,
    ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
    subject: settings.subject,
    text,
    html,
    link,
    ...(settings.configurationSet ? { configurationSet: settings.configurationSet } : {}),
  };
}

/** The confirmation link: the ingest API's base URL and the token (`GET /confirm/{token}`). */
export const confirmationLink = (baseUrl: string, token: string): string => `${baseUrl.replace(/\/+$/, '')}/confirm/${token}`;
