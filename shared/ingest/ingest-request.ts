import { HttpProblemError } from '../http/problem';
import type { MatchedRoute } from '../http/routes';
import type { HttpReply, RawRequest } from '../sources/source-adapter';
import { ingestCanonicalSignups, type IngestDeps } from './ingest-signups';
import { ingestFromSource } from './ingest-source';

/**
 * The ingest use case behind every route of shared/http/routes.ts. Returns the answer for the sender,
 * or throws a refusal (HttpProblemError, SourceError) that the HTTP edge turns into a problem document.
 */
export async function handleIngestRequest(match: MatchedRoute | undefined, request: RawRequest, deps: IngestDeps): Promise<HttpReply> {
  // API Gateway only invokes the function for the routes it has; this is for local mode and tests.
  if (match === undefined) throw new HttpProblemError({ title: 'Not Found', status: 404, detail: 'No such route.' });
  if (match.route.target === 'canonical') {
    const result = await ingestCanonicalSignups(request, deps);
    deps.logger.info('signups accepted', { accepted: result.accepted, ids: result.ids });
    return { status: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  }
  return ingestFromSource(request, match.pathParameters['sourceId'], deps);
}
