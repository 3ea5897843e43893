import { CliError } from '../errors';
import type { TraceKeys, TraceRecord } from './trace-records';
import type { TraceLogSource, TraceSearchResult, TraceWindow } from './trace-source';

/**
 * `signup-sync trace` against a running `npm start`: local mode keeps the functions' trace lines (and an
 * access line per API answer) in memory since it started (local/trace/trace-log.ts) and searches them with
 * the same exact match as the AWS path. It hashes the email with its own key, which stays in local mode.
 */

export const LOCAL_TRACE_PATHS = { hash: '/_local/api/trace/hash', search: '/_local/api/trace/search' } as const;

export function localTraceSource(baseUrl: string, fetchImpl: typeof fetch = fetch): TraceLogSource {
  const base = baseUrl.replace(/\/+$/, '');
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new CliError(`Local mode is not answering at ${base} (${(error as Error).message})`, { cause: error });
    }
    if (response.status === 404) throw new CliError(`Local mode at ${base} has no trace log: restart it with this version (npm start)`);
    if (!response.ok) throw new CliError(`Local mode answered ${response.status} to ${path}`);
    return (await response.json()) as T;
  };
  return {
    description: `local mode at ${base} (its log lines since it started)`,
    async hashEmails(emails) {
      return (await post<{ emailHashes: string[] }>(LOCAL_TRACE_PATHS.hash, { emails })).emailHashes;
    },
    async search(keys: TraceKeys, window: TraceWindow): Promise<TraceSearchResult> {
      const { records } = await post<{ records: TraceRecord[] }>(LOCAL_TRACE_PATHS.search, {
        ids: keys.ids,
        emailHashes: keys.emailHashes,
        since: window.since.toISOString(),
        until: window.until.toISOString(),
      });
      return { records };
    },
  };
}
