import type { RedriveResult } from '../../ops/dead-letters';
import { type OutboxMail, renderOutboxPage } from '../consent/outbox';
import type { HttpAnswer } from '../http-api-event';
import type { LocalRoute } from '../local-server';
import { LOCAL_PREFIX } from '../local-server';
import { type DeadLetterView, renderStatusPage, type StatusView } from './status-page';

/**
 * Local mode's own routes on the API server:
 *   GET  /_local/                          the status page (rendered with the numbers, then polls the JSON below)
 *   GET  /_local/api/status                counts, queue depths, recent outcomes
 *   GET  /_local/api/dead-letters          the DLQ's messages (reasons, no personal data)
 *   POST /_local/api/dead-letters/redrive  the same redrive as `signup-sync dlq redrive`
 *   GET  /_local/api/config                endpoints and queue URLs, for the CLI
 *   GET  /_local/outbox                    the double opt-in mails local mode would send (HTML; /_local/api/outbox: JSON)
 *   POST /_local/api/forget                `signup-sync forget --local`: local mode's own copies of one person (outbox, recent outcomes)
 *   GET  /_local/api/doctor                settings, source- and CAPTCHA-secret problems and the delivery ledger's
 *                                          loopback endpoint, for `signup-sync doctor`
 */

export type StatusRoutesDeps = Readonly<{
  status: () => Promise<StatusView>;
  deadLetters: () => Promise<readonly DeadLetterView[]>;
  redrive: () => Promise<RedriveResult>;
  config: () => unknown;
  /** What `signup-sync doctor` checks (ops/doctor/types.ts LocalDoctorInfo: no token or secret values). */
  doctor?: () => unknown;
  /** The outbox's mails, newest first (local/consent/outbox.ts). */
  outbox?: () => readonly OutboxMail[];
  /** Removes local mode's own copies of a person; returns what it removed, by kind. */
  forget?: (email: string) => Readonly<Record<string, number>>;
  /** This server's origin, e.g. http://127.0.0.1:3000 (cross-site POSTs are refused). */
  origin: () => string;
}>;

const json = (status: number, value: unknown): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: Buffer.from(JSON.stringify(value)),
});

/** The path without trailing slashes (a loop: a `/\/+$/` regex backtracks quadratically on many slashes). */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47 /* '/' */) end -= 1;
  return path.slice(0, end);
}

/** The page with the numbers in it; the dead letters are read only when the DLQ holds some. */
async function renderedPage(deps: StatusRoutesDeps): Promise<string> {
  const status = await deps.status();
  const dlq = status.queues ? status.queues.deadLetters.visible + status.queues.deadLetters.inFlight : 0;
  return renderStatusPage(status, dlq > 0 ? await deps.deadLetters() : []);
}

export function createStatusRoutes(deps: StatusRoutesDeps): LocalRoute {
  return async ({ method, path, headers, body }) => {
    const route = trimTrailingSlashes(path.slice(LOCAL_PREFIX.length)) || '/';
    if (route === '/' && method === 'GET') {
      if (path === LOCAL_PREFIX) return { status: 302, headers: { location: `${LOCAL_PREFIX}/` }, body: Buffer.alloc(0) };
      return {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'",
        },
        body: Buffer.from(await renderedPage(deps)),
      };
    }
    if (route === '/api/status' && method === 'GET') return json(200, await deps.status());
    if (route === '/api/config' && method === 'GET') return json(200, deps.config());
    if (route === '/api/doctor' && method === 'GET' && deps.doctor) return json(200, deps.doctor());
    if (route === '/api/dead-letters' && method === 'GET') return json(200, { deadLetters: await deps.deadLetters() });
    if (route === '/outbox' && method === 'GET' && deps.outbox) return renderOutboxPage(deps.outbox());
    if (route === '/api/outbox' && method === 'GET' && deps.outbox) return json(200, { mails: deps.outbox() });
    // A JSON content type forces a CORS preflight (which is never granted), and a foreign Origin is refused:
    // another web page open in the browser cannot trigger these.
    const origin = headers['origin'];
    const sameSiteJson = String(headers['content-type'] ?? '').startsWith('application/json') && (origin === undefined || origin === deps.origin());
    if (route === '/api/forget' && deps.forget) {
      if (method !== 'POST') return json(405, { message: 'Use POST' });
      if (!sameSiteJson) return json(403, { message: 'Send POST with Content-Type: application/json' });
      let email: unknown;
      try {
        email = (JSON.parse(body.toString('utf8')) as { email?: unknown }).email;
      } catch {
        email = undefined;
      }
      if (typeof email !== 'string' || email.trim() === '') return json(400, { message: 'Send {"email": "<address>"}' });
      return json(200, { removed: deps.forget(email) });
    }
    if (route === '/api/dead-letters/redrive') {
      if (method !== 'POST') return json(405, { message: 'Use POST' });
      if (!sameSiteJson) {
        return json(403, { message: 'Send POST with Content-Type: application/json from the status page' });
      }
      try {
        return json(200, await deps.redrive());
      } catch (error) {
        return json(500, { message: error instanceof Error ? error.message : 'redrive failed' });
      }
    }
    return undefined;
  };
}
