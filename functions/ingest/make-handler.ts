import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { HttpProblemError } from '../../shared/http/problem';
import { problemResponses, requestLogKeys } from '../../shared/http/problem-middleware';
import { rawBodyBytes } from '../../shared/http/request-body';
import { ingestCanonicalSignups, type IngestDeps } from '../../shared/ingest/ingest-signups';
import type { Logger } from '../../shared/logger';

export type IngestHandlerDeps = IngestDeps & Readonly<{ logger: Logger }>;

/** Adapts an API Gateway HTTP API (payload v2) event to the ingest use case. No business rules here. */
export function makeIngestHandler(deps: IngestHandlerDeps) {
  const { logger } = deps;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(requestLogKeys(logger))
    .use(problemResponses(logger))
    .handler(async (event) => {
      if (event.routeKey !== 'POST /signups') {
        throw new HttpProblemError({ title: 'Not Found', status: 404, detail: 'No such route.' });
      }
      const result = await ingestCanonicalSignups(
        { body: rawBodyBytes(event), contentType: event.headers?.['content-type'] },
        deps,
      );
      logger.info('signups accepted', { accepted: result.accepted, ids: result.ids });
      return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
    });
}
