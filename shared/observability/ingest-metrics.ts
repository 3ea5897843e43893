import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DELIVERY_REPEATED_HEADER } from '../ingest/ingest-signups';
import { CANONICAL_SOURCE_ID } from '../ingest/ingest-sources';
import { UNMAPPABLE_COUNT_HEADER } from '../ingest/unmappable';
import { Metric, type MetricsSink } from './metric-names';

const SOURCE_ROUTE = /^\/sources\/([a-z0-9-]{1,129})$/;

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
 * Counts each answer of the HTTP edge: signups accepted per source, repeated deliveries per source (a
 * 202 with the delivery-repeated header: nothing enqueued), unmappable signups dead-lettered per source
 * (the signups-unmappable header of a 202), refusals per source and status, and 503s. Registered outermost, so it sees the final response of both paths.
 */
export function ingestMetrics(
  sink: MetricsSink,
  /** The source id behind a route segment (`<id>-<routeToken>`): the dimension stays the id, whatever the URL. */
  sourceIdOf: (segment: string) => string | undefined = () => undefined,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  const observe = async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2>) => {
    const response = request.response as APIGatewayProxyStructuredResultV2 | undefined;
    const status = response?.statusCode;
    if (status === undefined) return;
    // A source's own route (/sources/<id>, infra/constructs/signup-ingress.ts) has no path parameter.
    const segment = request.event.pathParameters?.['sourceId'] ?? SOURCE_ROUTE.exec(request.event.rawPath ?? '')?.[1];
    const source = segment === undefined ? CANONICAL_SOURCE_ID : (sourceIdOf(segment) ?? segment);
    if (status === 202 && response?.headers?.[DELIVERY_REPEATED_HEADER] === 'true') sink.add(Metric.DeliveriesRepeated, 'Count', 1, { Source: source });
    else if (status === 202) {
      sink.add(Metric.SignupsAccepted, 'Count', acceptedCount(response!), { Source: source });
      // Signups of the delivery that went to the DLQ as `unmappable` (shared/ingest/unmappable.ts).
      const unmappable = Number(response?.headers?.[UNMAPPABLE_COUNT_HEADER] ?? 0);
      if (Number.isInteger(unmappable) && unmappable > 0) sink.add(Metric.SignupsUnmappable, 'Count', unmappable, { Source: source });
    } else if (status === 503) sink.add(Metric.QueueUnavailable, 'Count', 1);
    // Only authenticated requests reach a 202 or a 422; other refusals may carry any path, and a made-up
    // source id must not mint a CloudWatch dimension.
    else if (status >= 400) sink.add(Metric.SignupsRefused, 'Count', 1, { Source: status === 422 ? source : 'unverified', Reason: String(status) });
  };
  return { after: observe, onError: observe };
}
