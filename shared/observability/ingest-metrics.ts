import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CANONICAL_SOURCE_ID } from '../ingest/ingest-sources';
import { Metric, type MetricsSink } from './metric-names';

/** How many signups a 202 accepted (its body says so on every route). */
function acceptedCount(response: APIGatewayProxyStructuredResultV2): number {
  try {
    const accepted = (JSON.parse(response.body ?? '{}') as { accepted?: unknown }).accepted;
    return typeof accepted === 'number' ? accepted : 0;
  } catch {
    return 0;
  }
}

/**
 * Counts each answer of the HTTP edge: signups accepted per source, refusals per source and status,
 * and 503s (SQS unavailable). Registered outermost, so it sees the final response of both paths.
 */
export function ingestMetrics(sink: MetricsSink): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  const observe = async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2>) => {
    const response = request.response as APIGatewayProxyStructuredResultV2 | undefined;
    const status = response?.statusCode;
    if (status === undefined) return;
    const source = request.event.pathParameters?.['sourceId'] ?? CANONICAL_SOURCE_ID;
    if (status === 202) sink.add(Metric.SignupsAccepted, 'Count', acceptedCount(response!), { Source: source });
    else if (status === 503) sink.add(Metric.QueueUnavailable, 'Count', 1);
    // Only authenticated requests reach a 202 or a 422; other refusals may carry any path, and a made-up
    // source id must not mint a CloudWatch dimension.
    else if (status >= 400) sink.add(Metric.SignupsRefused, 'Count', 1, { Source: status === 422 ? source : 'unverified', Reason: String(status) });
  };
  return { after: observe, onError: observe };
}
