import { randomUUID } from 'node:crypto';
import { verifyConfirmationToken } from '../consent/confirmation-token';
import type { ConsentKeys } from '../consent/consent-keys';
import { type ConsentStore, ConsentStoreError, type PendingConfirmation } from '../consent/consent-store';
import { HttpProblemError } from '../http-input/errors';
import type { HttpReply, RawRequest } from '../http-input/request';
import { CONFIRMATION_KIND, type ConfirmationMessage } from '../signup/signup-schema';
import type { SourceConfig } from '../sources/source-config';
import { enqueueOrProblem, type IngestDeps, QUEUE_RETRY_AFTER_SECONDS } from './ingest-signups';

/**
 * `GET|POST /confirm/{token}`: the link of a double opt-in mail (docs/subscribers.md, "Double opt-in").
 *
 * GET shows a page with a Confirm button; only the POST of that button confirms. Mail security scanners
 * (and some mail clients) open every link in a message before the person does: a link that confirmed on
 * GET would confirm addresses nobody checked, the subscription bombing double opt-in exists to stop.
 *
 * Both check the token (signature, expiry) and the pending request it names (in the consent table: still
 * there, this link one of its mails, not yet confirmed), and answer a person with a page that says what
 * happened: expired, not valid, already confirmed, confirmed. The POST enqueues a confirmation message
 * (no email in it: the person key and the link's nonce); the sync writes the subscriber and its evidence.
 * The confirm routes have their own throttle (infra/constructs/signup-ingress.ts).
 */

export type ConfirmationDeps = Readonly<{
  store: Pick<ConsentStore, 'readPending'>;
  keys: ConsentKeys;
}>;

type Page = Readonly<{ status: number; title: string; message: string; button?: boolean; headers?: Readonly<Record<string, string>> }>;

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] ?? character);

/** A page for a person: no script, no outside resource, nothing that would carry the token elsewhere. */
export function confirmPage(page: Page): HttpReply {
  const body = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    '<style>body{font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem}</style>',
    '</head><body>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    `<p id="message">${escapeHtml(page.message)}</p>`,
    // Posts to this same address (the token stays in the path, never in a form field or a Referer).
    page.button ? '<form method="post"><button type="submit" id="confirm">Confirm my subscription</button></form>' : '',
    '</body></html>',
  ].join('');
  return {
    status: page.status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      ...page.headers,
    },
    body,
  };
}

const PAGES = {
  notHere: { status: 404, title: 'Nothing to confirm here', message: 'This address has no confirmation links.' },
  // 404, not 400: a link that does not verify names no confirmation of ours (and a well-formed path is no bad request).
  invalid: {
    status: 404,
    title: 'This link is not valid',
    message: 'The confirmation link is incomplete or was changed. Please open the link exactly as it is in the email.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    message: 'The confirmation link is too old. Nothing was subscribed. To subscribe, please sign up again: you will get a new link.',
  },
  gone: {
    status: 410,
    title: 'This link is no longer valid',
    message: 'This confirmation request no longer exists (it expired, or was withdrawn). Nothing was subscribed. To subscribe, please sign up again.',
  },
  already: { status: 200, title: 'Already confirmed', message: 'Your subscription was confirmed already. Thank you!' },
  ask: { status: 200, title: 'Confirm your subscription', message: 'Please confirm that you want to receive our newsletter.', button: true },
  done: { status: 200, title: 'Subscription confirmed', message: 'Thank you! Your subscription is confirmed; it takes effect within a few minutes.' },
  unavailable: {
    status: 503,
    title: 'Please try again in a minute',
    message: 'We could not check this link right now. Nothing was lost: please open it again in a minute.',
    headers: { 'retry-after': String(QUEUE_RETRY_AFTER_SECONDS) },
  },
} as const satisfies Record<string, Page>;

export async function confirmSubscription(request: RawRequest, token: string, deps: IngestDeps): Promise<HttpReply> {
  const { logger, now = () => new Date(), newId = randomUUID } = deps;
  const confirmations = deps.confirmations;
  if (confirmations === undefined) return confirmPage(PAGES.notHere);
  if (request.method !== 'GET' && request.method !== 'POST') return confirmPage(PAGES.invalid);
  const receivedAt = now();
  const check = verifyConfirmationToken(token, confirmations.keys.tokenKey, receivedAt.getTime());
  if (!check.ok) {
    logger.info('confirmation link refused', { reason: check.reason });
    return confirmPage(check.reason === 'expired' ? PAGES.expired : PAGES.invalid);
  }
  const { claims } = check;
  logger.appendKeys({ sourceId: claims.sourceId });
  const source: SourceConfig | undefined = deps.sources.find((candidate) => candidate.id === claims.sourceId && candidate.doubleOptIn !== undefined);
  // Signed by us, yet its source has no double opt-in (any more): nothing it could confirm.
  if (source === undefined) return confirmPage(PAGES.gone);
  let pending: PendingConfirmation | undefined;
  try {
    pending = await confirmations.store.readPending({ person: claims.person, sourceId: claims.sourceId });
  } catch (error) {
    if (!(error instanceof ConsentStoreError)) throw error;
    logger.warn('confirmation: the consent table cannot be read', { errorName: error.name });
    return confirmPage(PAGES.unavailable);
  }
  if (pending === undefined || !pending.nonces.includes(claims.nonce)) {
    logger.info('confirmation link refused', { reason: 'no-pending-request' });
    return confirmPage(PAGES.gone);
  }
  if (pending.confirmedAt !== undefined) return confirmPage(PAGES.already);
  if (request.method === 'GET') return confirmPage(PAGES.ask);

  const message: ConfirmationMessage = {
    schema_version: 4,
    kind: CONFIRMATION_KIND,
    id: newId(),
    received_at: receivedAt.toISOString(),
    source: { id: source.id, kind: source.kind },
    confirmation: {
      person: claims.person,
      nonce: claims.nonce,
      ...(source.recordClientIp && request.sourceIp ? { ip: request.sourceIp } : {}),
    },
  };
  try {
    await enqueueOrProblem(deps.queue, [message]);
  } catch (error) {
    if (error instanceof HttpProblemError && error.problem.status === 503) return confirmPage(PAGES.unavailable);
    throw error;
  }
  logger.info('confirmation accepted', { ids: [message.id] });
  const confirmedUrl = source.doubleOptIn?.confirmedUrl;
  return confirmedUrl
    ? { status: 303, headers: { location: confirmedUrl, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } }
    : confirmPage(PAGES.done);
}
