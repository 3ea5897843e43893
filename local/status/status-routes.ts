import type { DeadLetter, DeadLetterDetail, RedriveResult } from '../../ops/dead-letters';
import { redriveSummary } from '../../ops/dlq-command';
import type { TraceKeys, TraceRecord } from '../../ops/trace/trace-records';
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
 *   GET  /_local/api/dead-letters/<id>     one letter in full, as `signup-sync dlq show` (no personal data)
 *   POST /_local/api/dead-letters/redrive  {ids?, dryRun?, force?}: the same redrive as `signup-sync dlq redrive`
 *                                          (all, or these letters): what went back, what stayed and why
 *   POST /_local/api/dead-letters/delete   {ids}: as `signup-sync dlq delete`
 *   GET  /_local/api/config                endpoints and queue URLs, for the CLI
 *   GET  /_local/outbox                    the double opt-in mails local mode would send (HTML; /_local/api/outbox: JSON)
 *   POST /_local/api/forget                `signup-sync forget --local`: local mode's own copies of one person (outbox, recent outcomes)
 *   GET  /_local/api/doctor                settings, source- and CAPTCHA-secret problems and the delivery ledger's
 *                                          loopback endpoint, for `signup-sync doctor`
 *   POST /_local/api/trace/hash            {emails}: their keyed hashes, as the functions log them (the key stays here)
 *   POST /_local/api/trace/search          {ids, emailHashes, since, until}: the trace lines about them (local/trace/trace-log.ts)
 * The POST routes take JSON only and refuse a foreign Origin, so another web page cannot call them.
 */

export type StatusRoutesDeps = Readonly<{
  status: () => Promise<StatusView>;
  deadLetters: () => Promise<readonly DeadLetterView[]>;
  redrive: (request?: RedriveRequest) => Promise<RedriveResult>;
  showDeadLetter?: (id: string) => Promise<DeadLetterDetail | undefined>;
  deleteDeadLetters?: (ids: readonly string[]) => Promise<Readonly<{ deleted: readonly DeadLetter[]; notFound: readonly string[] }>>;
  config: () => unknown;
  /** What `signup-sync doctor` checks (ops/doctor/types.ts LocalDoctorInfo: no token or secret values). */
  doctor?: () => unknown;
  /** The outbox's mails, newest first (local/consent/outbox.ts). */
  outbox?: () => readonly OutboxMail[];
  /** Removes local mode's own copies of a person; returns what it removed, by kind. */
  forget?: (email: string) => Readonly<Record<string, number>>;
  /** This server's origin, e.g. http://127.0.0.1:3000 (cross-site POSTs are refused). */
  origin: () => string;
  /** `signup-sync trace` (ops/trace/local-trace-source.ts). */
  trace?: Readonly<{
    hash: (emails: readonly string[]) => string[];
    search: (keys: TraceKeys, window: Readonly<{ since: Date; until: Date }>) => readonly TraceRecord[];
  }>;
}>;

/** What the page (or a tool) asks a redrive for. */
export type RedriveRequest = Readonly<{ ids?: readonly string[]; dryRun?: boolean; force?: boolean }>;

const strings = (value: unknown, max: number): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.length <= 320).slice(0, max) : [];

const dateOr = (value: unknown, fallback: Date): Date => {
  const parsed = typeof value === 'string' ? new Date(value) : fallback;
  return Number.isFinite(parsed.getTime()) ? parsed : fallback;
};

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
  /** A POST from this page or a tool (JSON, no foreign Origin), or the refusal to answer. */
  const refusedPost = (method: string, headers: Readonly<Record<string, string | string[] | undefined>>): HttpAnswer | undefined => {
    if (method !== 'POST') return json(405, { message: 'Use POST' });
    // A JSON content type forces a CORS preflight (which is never granted), and a foreign Origin is refused:
    // another web page open in the browser cannot call these.
    const origin = headers['origin'];
    if (!String(headers['content-type'] ?? '').startsWith('application/json') || (origin !== undefined && origin !== deps.origin())) {
      return json(403, { message: 'Send POST with Content-Type: application/json from the status page' });
    }
    return undefined;
  };
  const jsonBody = (body: Buffer): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(body.toString('utf8') || '{}');
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
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
    if (route === '/api/forget' && deps.forget) {
      const refused = refusedPost(method, headers);
      if (refused) return refused;
      const email = jsonBody(body)['email'];
      if (typeof email !== 'string' || email.trim() === '') return json(400, { message: 'Send {"email": "<address>"}' });
      return json(200, { removed: deps.forget(email) });
    }
    if ((route === '/api/trace/hash' || route === '/api/trace/search') && deps.trace) {
      const refused = refusedPost(method, headers);
      if (refused) return refused;
      const request = jsonBody(body);
      if (route === '/api/trace/hash') return json(200, { emailHashes: deps.trace.hash(strings(request['emails'], 10)) });
      const keys = { ids: strings(request['ids'], 500), emailHashes: strings(request['emailHashes'], 50) };
      const window = { since: dateOr(request['since'], new Date(0)), until: dateOr(request['until'], new Date()) };
      return json(200, { records: deps.trace.search(keys, window) });
    }
    if (route === '/api/dead-letters/redrive') {
      const refused = refusedPost(method, headers);
      if (refused) return refused;
      const request = jsonBody(body);

      try {
        const result = await deps.redrive({
          ids: strings(request['ids'], 100),
          ...(request['dryRun'] === true ? { dryRun: true } : {}),
          ...(request['force'] === true ? { force: true } : {}),
        });
        return json(200, { ...result, summary: redriveSummary(result) });
      } catch (error) {
        return json(500, { message: error instanceof Error ? error.message : 'redrive failed' });
      }
    }
    if (route === '/api/dead-letters/delete' && deps.deleteDeadLetters) {
      const refused = refusedPost(method, headers);
      if (refused) return refused;
      const ids = strings(jsonBody(body)['ids'], 100);
      if (ids.length === 0) return json(400, { message: 'Name the letters to delete: {"ids": ["…"]}' });
      try {
        return json(200, await deps.deleteDeadLetters(ids));
      } catch (error) {
        return json(500, { message: error instanceof Error ? error.message : 'delete failed' });
      }
    }
    const letterId = /^\/api\/dead-letters\/([^/]+)$/.exec(route)?.[1];
    if (letterId !== undefined && method === 'GET' && deps.showDeadLetter) {
      const letter = await deps.showDeadLetter(decodeURIComponent(letterId));
      return letter ? json(200, letter) : json(404, { message: `No dead letter has the id ${decodeURIComponent(letterId).slice(0, 100)}` });
    }
    return undefined;
  };
}
