import type { ResponseObserver } from '../bigcommerce/client';
import { Metric, type MetricsSink } from '../observability/metric-names';
import { SUBSCRIBER_STATUSES, type SyncOutcome } from './outcome';

export type SyncMetrics = Readonly<{
  onResponse: ResponseObserver;
  onTokenRefresh: () => void;
  /** Call once per invocation with every message's outcome; emits and resets the invocation's counters. */
  onOutcomes: (outcomes: ReadonlyMap<string, SyncOutcome>, messages: ReadonlyMap<string, Readonly<{ received_at: string }>>) => void;
}>;

/** Double opt-in and erasure outcomes are log fields, not metrics (one metric costs a month what many log lines do). */
const METRIC_SUBSCRIBER_STATUSES: ReadonlySet<string> = new Set(SUBSCRIBER_STATUSES);

const OUTCOME_METRIC = {
  created: Metric.CustomersCreated,
  existed: Metric.CustomersExisted,
  updated: Metric.CustomersUpdated,
} as const;

/** Turns the sync's hooks into metrics: BigCommerce requests as they happen, outcomes per invocation. */
export function createSyncMetrics(sink: MetricsSink, now: () => number = Date.now): SyncMetrics {
  let requestsByStatus = new Map<string, { method: string; status: string; count: number }>();
  let requests = 0;

  return {
    onResponse: ({ method, status, kind }) => {
      requests += 1;
      const statusLabel = status === undefined ? (kind ?? 'network') : String(status);
      const key = `${method} ${statusLabel}`;
      const entry = requestsByStatus.get(key) ?? { method, status: statusLabel, count: 0 };
      entry.count += 1;
      requestsByStatus.set(key, entry);
    },
    onTokenRefresh: () => sink.add(Metric.TokenRefreshes, 'Count', 1),
    onOutcomes: (outcomes, messages) => {
      let customers = 0;
      for (const [id, outcome] of outcomes) {
        if (outcome.status === 'rejected') {
          sink.add(Metric.SignupsDeadLettered, 'Count', 1, { Reason: outcome.rejection.code });
        } else if (outcome.status === 'deferred') {
          sink.add(Metric.SignupsDeferred, 'Count', 1, { Reason: outcome.reason });
        } else if (outcome.status === 'created' || outcome.status === 'existed' || outcome.status === 'updated') {
          if (outcome.subscriber && METRIC_SUBSCRIBER_STATUSES.has(outcome.subscriber.status))
            sink.add(Metric.SubscriberOutcomes, 'Count', 1, { Outcome: outcome.subscriber.status });
          customers += 1;
          sink.add(OUTCOME_METRIC[outcome.status], 'Count', 1);
          const received = Date.parse(messages.get(id)?.received_at ?? '');
          if (Number.isFinite(received)) sink.add(Metric.ReceiptToCustomer, 'Milliseconds', Math.max(0, now() - received));
        } else if (METRIC_SUBSCRIBER_STATUSES.has(outcome.status)) {
          // A newsletter-only message (a nameless subscriber, an opt-out).
          sink.add(Metric.SubscriberOutcomes, 'Count', 1, { Outcome: outcome.status });
        }
      }
      sink.add(Metric.BatchSize, 'Count', outcomes.size);
      for (const { method, status, count } of requestsByStatus.values()) {
        sink.add(Metric.BigCommerceRequests, 'Count', count, { Method: method, Status: status });
        if (status === '429') sink.add(Metric.BigCommerceRateLimited, 'Count', count);
        if (status === '401' || status === '403') sink.add(Metric.BigCommerceAuthFailures, 'Count', count);
      }
      if (customers > 0) sink.add(Metric.RequestsPerCustomer, 'None', requests / customers);
      requestsByStatus = new Map();
      requests = 0;
    },
  };
}
