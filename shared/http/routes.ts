/**
 * The ingest API's routes, in one table used by the CDK construct (infra/constructs/signup-ingress.ts),
 * the handler's dispatch (shared/ingest/ingest-request.ts), the OpenAPI document (shared/http/openapi.ts)
 * and local mode, which turns plain HTTP requests into API Gateway events with `matchIngestRoute`.
 */

export type IngestRouteMethod = 'GET' | 'POST' | 'OPTIONS';

export type IngestRoute = Readonly<{
  method: IngestRouteMethod;
  /** API Gateway path syntax: `{name}` is a path parameter matching one segment. */
  path: string;
  /**
   * `canonical`: our own JSON format (POST /signups); `source`: a configured sender (shared/sources);
   * `confirm`: a double opt-in link (shared/ingest/confirm-subscription.ts).
   */
  target: 'canonical' | 'source' | 'confirm';
  /** One line for the OpenAPI document. */
  summary: string;
}>;

export const SIGNUPS_PATH = '/signups';
export const SOURCE_PATH = '/sources/{sourceId}';
export const CONFIRM_PATH = '/confirm/{token}';

export const INGEST_ROUTES: readonly IngestRoute[] = [
  { method: 'POST', path: SIGNUPS_PATH, target: 'canonical', summary: 'Canonical JSON signups: one, or up to 100 in an array' },
  { method: 'POST', path: SOURCE_PATH, target: 'source', summary: "A configured source's webhook or form post" },
  { method: 'GET', path: SOURCE_PATH, target: 'source', summary: 'Handshake (Mailchimp checks the URL with a GET when a webhook is saved)' },
  { method: 'OPTIONS', path: SOURCE_PATH, target: 'source', summary: 'CORS preflight for fetch-based html-form posts' },
  { method: 'GET', path: CONFIRM_PATH, target: 'confirm', summary: 'Double opt-in: the link of a confirmation mail shows a page with a Confirm button' },
  { method: 'POST', path: CONFIRM_PATH, target: 'confirm', summary: 'Double opt-in: the Confirm button, which confirms the subscription' },
];

/** `POST /signups`: the route key API Gateway puts in `event.routeKey`. */
export const routeKey = (route: Pick<IngestRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

export type MatchedRoute = Readonly<{ route: IngestRoute; pathParameters: Readonly<Record<string, string>> }>;

/** The route whose key API Gateway reported, or undefined. */
export function routeByKey(key: string | undefined): IngestRoute | undefined {
  return INGEST_ROUTES.find((route) => routeKey(route) === key);
}

/** Percent-decoded, or as sent when it is not valid percent-encoding (the source lookup then fails: 401). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Matches a method and a raw path as API Gateway does: literal segments exactly, `{name}` one
 * non-empty segment (percent-decoded). Returns undefined when no route matches.
 */
export function matchIngestRoute(method: string, rawPath: string): MatchedRoute | undefined {
  const segments = rawPath.split('?')[0]!.split('/').slice(1);
  for (const route of INGEST_ROUTES) {
    if (route.method !== method.toUpperCase()) continue;
    const pattern = route.path.split('/').slice(1);
    if (pattern.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matched = pattern.every((part, index) => {
      const segment = segments[index]!;
      const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
      if (parameter === undefined) return part === segment;
      if (segment === '') return false;
      pathParameters[parameter] = decodeSegment(segment);
      return true;
    });
    if (matched) return { route, pathParameters };
  }
  return undefined;
}
