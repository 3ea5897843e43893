/**
 * One request to BigCommerce as the doctor needs it: the raw status, headers and JSON body, never an
 * exception for a 4xx/5xx (those are what the checks read). The token goes only into the X-Auth-Token
 * header; a failure is described by its error name or code, which cannot contain it.
 */

export type BigCommerceTarget = Readonly<{ apiUrl: string; storeHash: string; token: string }>;

export type ProbeResult = Readonly<{
  /** undefined when no answer came (network error, timeout). */
  status: number | undefined;
  headers: Headers | undefined;
  body: unknown;
  /** Why no answer came, e.g. "ECONNREFUSED" or "TimeoutError". */
  failure?: string;
}>;

export type Probe = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<ProbeResult>;

const DEFAULT_TIMEOUT_MS = 10_000;

function failureOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'network error';
}

/** `path` starts with the API version: `/v3/customers?limit=1`, `/v2/customer_groups/1`. */
export function createProbe(
  target: BigCommerceTarget,
  { fetchFn = fetch, timeoutMs = DEFAULT_TIMEOUT_MS }: { fetchFn?: typeof fetch; timeoutMs?: number } = {},
): Probe {
  const base = `${target.apiUrl.replace(/\/+$/, '')}/stores/${encodeURIComponent(target.storeHash)}`;
  return async (method, path, body) => {
    try {
      const response = await fetchFn(`${base}${path}`, {
        method,
        headers: {
          'x-auth-token': target.token,
          accept: 'application/json',
          // Not the sync's User-Agent: the local status page counts the sync's requests only.
          'user-agent': 'signup-sync-doctor',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed };
    } catch (error) {
      return { status: undefined, headers: undefined, body: undefined, failure: failureOf(error) };
    }
  };
}

/** "answered 403" or "did not answer (ECONNREFUSED)", for summaries. */
export function describeAnswer(result: ProbeResult): string {
  return result.status === undefined ? `did not answer (${result.failure ?? 'no response'})` : `answered ${result.status}`;
}
