import { HttpProblemError } from '../http-input/errors';
import type { HttpReply, RawRequest } from '../http-input/request';
import { confirmSubscription } from './confirm-subscription';
import { DELIVERY_REPEATED_HEADER, type IngestDeps, ingestCanonicalSignups } from './ingest-signups';
import { ingestFromSource } from './ingest-source';

/**
 * The route the HTTP edge matched: shared/http/routes.ts's MatchedRoute fits this shape. Declared here,
 * not imported, so that ingest never depends on the edge (shared/http depends on ingest).
 */
export type IngestRouteMatch = Readonly<{
  route: Readonly<{ target: 'canonical' | 'source' | 'confirm' }>;
  pathParameters: Readonly<Record<string, string>>;
}>;

/**
 * The ingest use case behind every route of shared/http/routes.ts. Returns the answer for the sender,
 * or throws a refusal (HttpProblemError, SourceError) that the HTTP edge turns into a problem document.
 */
export async function handleIngestRequest(match: IngestRouteMatch | undefined, request: RawRequest, deps: IngestDeps): Promise<HttpReply> {
  // API Gateway only invokes the function for the routes it has; this is for local mode and tests.
  if (match === undefined) throw new HttpProblemError({ title: 'Not Found', status: 404, detail: 'No such route.' });
  if (match.route.target === 'canonical') {
    const { result, repeat } = await ingestCanonicalSignups(request, deps);
    return {
      status: 202,
      headers: { 'content-type': 'application/json', ...(repeat ? { [DELIVERY_REPEATED_HEADER]: 'true' } : {}) },
      body: JSON.stringify(result),
    };
  }
  if (match.route.target === 'confirm') return confirmSubscription(request, match.pathParameters['token'] ?? '', deps);
  return ingestFromSource(request, match.pathParameters['sourceId'], deps);
}
