import type { ConfirmationMail, ConfirmationMailer } from '../../shared/consent/confirmation-mail';
import { normalizeEmail } from '../../shared/consent/consent-keys';
import type { HttpAnswer } from '../http-api-event';
import { escapeHtml } from '../status/status-page';

/**
 * Local mode's outbox: the double opt-in mails the sync would send through SES, kept in memory and
 * shown at /_local/outbox (HTML) and /_local/api/outbox (JSON), newest first. Their links point at local
 * mode's own API, so opening one in a browser confirms as a person would. `signup-sync forget --local`
 * removes a person's mails (POST /_local/api/forget).
 */

export type OutboxMail = ConfirmationMail & Readonly<{ id: number; at: string }>;

export type Outbox = Readonly<{
  mailer: ConfirmationMailer;
  mails: () => OutboxMail[];
  /** Removes the mails to `email`; returns how many. */
  forget: (email: string) => number;
}>;

export function createOutbox({ keep = 10_000, now = () => new Date() }: Readonly<{ keep?: number; now?: () => Date }> = {}): Outbox {
  let mails: OutboxMail[] = [];
  let nextId = 1;
  return {
    mailer: {
      async send(mail) {
        mails.push({ ...mail, id: nextId++, at: now().toISOString() });
        if (mails.length > keep) mails = mails.slice(-keep);
      },
    },
    mails: () => [...mails].reverse(),
    forget(email) {
      const target = normalizeEmail(email);
      const before = mails.length;
      mails = mails.filter((mail) => normalizeEmail(mail.to) !== target);
      return before - mails.length;
    },
  };
}

export function renderOutboxPage(mails: readonly OutboxMail[]): HttpAnswer {
  const items = mails.map(
    (mail) => `<article class="mail" data-testid="mail" data-to="${escapeHtml(mail.to)}">
<p class="meta"><b>${escapeHtml(mail.subject)}</b><br>To: <span data-testid="mail-to">${escapeHtml(mail.to)}</span> · From: ${escapeHtml(mail.from)} · ${escapeHtml(mail.at)}</p>
<pre>${escapeHtml(mail.text)}</pre>
<p><a data-testid="mail-link" href="${escapeHtml(mail.link)}">Open the confirmation link</a></p>
</article>`,
  );
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox · signup-sync local mode</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 46rem; padding: 1.5rem; }
  .mail { background: #fff; border: 1px solid #d0d5dd; border-radius: 8px; padding: .5rem 1rem; margin: 1rem 0; }
  pre { white-space: pre-wrap; font-size: .9rem; }
  .muted { color: #667085; font-size: .85rem; }
</style></head>
<body>
<h1>Outbox</h1>
<p class="muted">The double opt-in mails local mode would send with Amazon SES (newest first; <a href="/_local/api/outbox">JSON</a>, <a href="/_local/">status page</a>).</p>
<p data-testid="mail-count">${mails.length} mail${mails.length === 1 ? '' : 's'}</p>
${items.join('\n')}
</body></html>
`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    },
    body: Buffer.from(body),
  };
}
