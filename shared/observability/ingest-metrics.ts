import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Metric, type MetricsSink } from './metric-names';

/**
 * The ingest's one CloudWatch metric: a 503, a temporary failure on our side (mostly SQS not taking the
 * signups; also an unreadable sources secret, or a copy of a delivery still in progress), which
 * QueueUnavailableAlarm reads. What else the edge answers (signups accepted, repeated, unmappable and refused, by source and
 * status) is in the log line of each request (`signups accepted`, `delivery repeated…`, `unmappable
 * signups dead-lettered`, `request refused` with `sourceId` and `status`), counted with Logs Insights
 * (docs/operations.md). Registered outermost, so it sees the final response of both paths.
 */
export function ingestMetrics(sink: MetricsSink<'ingest'>): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  const observe = async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2>) => {
    const response = request.response as APIGatewayProxyStructuredResultV2 | undefined;
    if (response?.statusCode === 503) sink.add(Metric.QueueUnavailable, 1);
  };
  return { after: observe, onError: observe };
}
