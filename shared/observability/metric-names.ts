import type { Logger } from '../logger';

/**
 * Every metric the functions emit (CloudWatch embedded metric format), in one place so that the code,
 * the alarms and the dashboard cannot drift apart.
 */
export const METRICS_NAMESPACE = 'SignupSync';

/** Powertools adds the service as the `service` dimension of every metric. */
export const SERVICE = { ingest: 'signup-ingest', sync: 'signup-sync' } as const;

export const Metric = {
  // ingest
  SignupsAccepted: 'SignupsAccepted', // dims: Source
  SignupsRefused: 'SignupsRefused', // dims: Source, Reason (HTTP status of the refusal)
  QueueUnavailable: 'QueueUnavailable', // ingest answered 503
  DeliveriesRepeated: 'DeliveriesRepeated', // dims: Source; a retry or replay answered as before, nothing enqueued
  SignupsUnmappable: 'SignupsUnmappable', // dims: Source; signups of a 2xx delivery sent to the DLQ as `unmappable`
  SignupsIncomplete: 'SignupsIncomplete', // dims: Source; signups too incomplete to store, ignored by a source with `incomplete: "ignore"` (no alarm)
  EventsIgnored: 'EventsIgnored', // dims: Source; events of authentic deliveries that are not signups (a HubSpot Webhooks API batch, other event types)
  // per configured source (dims: SourceId), for its silence and signature-failure alarms (infra/constructs/source-alarms.ts)
  SourceDeliveries: 'SourceDeliveries', // authentic deliveries answered 2xx (signups, repeats, ignored events)
  SourceAuthFailures: 'SourceAuthFailures', // requests refused 401 for their signature or token
  // sync outcomes, one per message
  CustomersCreated: 'CustomersCreated',
  CustomersExisted: 'CustomersExisted',
  CustomersUpdated: 'CustomersUpdated',
  // newsletter parts, one per message that has one: dims Outcome (subscribed, resubscribed, unsubscribed, not-subscribed)
  SubscriberOutcomes: 'SubscriberOutcomes',
  SignupsDeadLettered: 'SignupsDeadLettered', // dims: Reason (rejection code)
  SignupsDeferred: 'SignupsDeferred', // dims: Reason (defer reason)
  // BigCommerce traffic
  BigCommerceRequests: 'BigCommerceRequests', // dims: Method, Status
  BigCommerceRateLimited: 'BigCommerceRateLimited',
  BigCommerceAuthFailures: 'BigCommerceAuthFailures',
  RequestsPerCustomer: 'RequestsPerCustomer',
  BatchSize: 'BatchSize',
  ReceiptToCustomer: 'ReceiptToCustomer', // ms from ingest receipt to the customer existing
  TokenRefreshes: 'TokenRefreshes',
} as const;

export type MetricName = (typeof Metric)[keyof typeof Metric];

export type MetricUnitName = 'Count' | 'Milliseconds' | 'None';

/** Where metrics go: Powertools Metrics in Lambda, a recorder in tests, debug log lines in local mode. */
export interface MetricsSink {
  add(name: MetricName, unit: MetricUnitName, value: number, dimensions?: Readonly<Record<string, string>>): void;
}

export const noMetrics: MetricsSink = { add: () => undefined };

/** Each metric as a debug line (local mode: the Lambda's metric names, quiet unless LOG_LEVEL=debug). */
export function loggedMetrics(logger: Logger): MetricsSink {
  return { add: (name, unit, value, dimensions) => logger.debug('metric', { metric: name, unit, value, ...(dimensions ? { dimensions } : {}) }) };
}
