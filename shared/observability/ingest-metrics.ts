import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { IGNORED_EVENTS_HEADER, INCOMPLETE_COUNT_HEADER } from '../ingest/incomplete';
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

/** A count header of the answer (0 when absent or not a positive integer). */
function headerCount(response: APIGatewayProxyStructuredResultV2 | undefined, name: string): number {
  const count = Number(response?.headers?.[name] ?? 0);
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/**
 * Counts each answer of the HTTP edge: signups accepted per source, repeated deliveries per source (a
 * 202 with the delivery-repeated header: nothing enqueued), unmappable signups dead-lettered per source
 * (the signups-unmappable header of a 202), incomplete signups a source ignores (signups-incomplete, on
 * a 200 or 202), events of authentic deliveries that are not signups (events-ignored, on a 200),
 * refusals per source and status, and 503s. Registered outermost, so it sees the final response of both paths.
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
    else if (status === 202 || status === 200) {
      if (status === 202) sink.add(Metric.SignupsAccepted, 'Count', acceptedCount(response!), { Source: source });
      // Signups of the delivery that went to the DLQ as `unmappable` (shared/ingest/unmappable.ts).
      const unmappable = headerCount(response, UNMAPPABLE_COUNT_HEADER);
      if (unmappable > 0) sink.add(Metric.SignupsUnmappable, 'Count', unmappable, { Source: source });
      // Signups too incomplete to store, ignored by their source (shared/ingest/incomplete.ts): counted, no alarm.
      const incomplete = headerCount(response, INCOMPLETE_COUNT_HEADER);
      if (incomplete > 0) sink.add(Metric.SignupsIncomplete, 'Count', incomplete, { Source: source });
      const ignored = headerCount(response, IGNORED_EVENTS_HEADER);
      if (ignored > 0) sink.add(Metric.EventsIgnored, 'Count', ignored, { Source: source });
    } else if (status === 503) sink.add(Metric.QueueUnavailable, 'Count', 1);
    // Only authenticated requests reach a 202, a 409 (a reused id, POST /signups) or a 422; other refusals
    // may carry any path, and a made-up source id must not mint a CloudWatch dimension.
    else if (status >= 400)
      sink.add(Metric.SignupsRefused, 'Count', 1, { Source: status === 422 || status === 409 ? source : 'unverified', Reason: String(status) });
  };
  return { after: observe, onError: observe };
}
