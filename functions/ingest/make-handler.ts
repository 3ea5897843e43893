import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { problemResponses, requestLogKeys } from '../../shared/http/problem-middleware';
import { matchIngestRoute, routeByKey, type MatchedRoute } from '../../shared/http/routes';
import { handleIngestRequest } from '../../shared/ingest/ingest-request';
import type { IngestDeps } from '../../shared/ingest/ingest-signups';
import { ingestMetrics } from '../../shared/observability/ingest-metrics';
import { noMetrics, type MetricsSink } from '../../shared/observability/metric-names';
import { rawRequestFromHttpApiEvent } from '../../shared/sources/raw-request';

export type IngestHandlerDeps = IngestDeps &
  Readonly<{
    publicBaseUrl?: string;
    metrics?: MetricsSink;
    /** Outermost middlewares (Powertools logger context, metrics flush, tracing): their `after` runs last. */
    edge?: readonly middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2>[];
  }>;

/** The route API Gateway matched (routeKey and path parameters), else the method and path matched here. */
function routeOf(event: APIGatewayProxyEventV2): MatchedRoute | undefined {
  const route = routeByKey(event.routeKey);
  if (route) {
    const pathParameters = Object.fromEntries(Object.entries(event.pathParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return { route, pathParameters };
  }
  return matchIngestRoute(event.requestContext.http.method, event.rawPath);
}

/** Adapts an API Gateway HTTP API (payload v2) event to the ingest use case. No business rules here. */
export function makeIngestHandler(deps: IngestHandlerDeps) {
  const { logger, publicBaseUrl } = deps;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use([...(deps.edge ?? [])])
    .use(ingestMetrics(deps.metrics ?? noMetrics))
    .use(requestLogKeys(logger))
    .use(problemResponses(logger))
    .handler(async (event) => {
      const request = rawRequestFromHttpApiEvent(event, publicBaseUrl ? { publicBaseUrl } : {});
      const reply = await handleIngestRequest(routeOf(event), request, deps);
      return { statusCode: reply.status, headers: { ...reply.headers }, body: reply.body ?? '' };
    });
}
