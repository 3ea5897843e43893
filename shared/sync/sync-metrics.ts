import type { ResponseObserver } from '../bigcommerce/client';
import { Metric, type MetricsSink } from '../observability/metric-names';
import type { SyncOutcome } from './outcome';

/**
 * One batch in figures, as fields of the sync's `batch synced` log line (Logs Insights sums them:
 * docs/operations.md): outcomes by status, customers (created, existed or updated), BigCommerce requests in all and by method and status
 * (`POST_200`, `GET_429`, `POST_timeout`), requests per customer, and the token re-reads. Counts that are
 * zero are left out.
 */
export type BatchSummary = Readonly<Record<string, number | Readonly<Record<string, number>>>>;

export type SyncMetrics = Readonly<{
  onResponse: ResponseObserver;
  onTokenRefresh: () => void;
  /**
   * Call once per invocation with every message's outcome: emits the alarms' metrics (429s, 401/403s),
   * returns the batch's summary for the log and starts the next invocation's counters afresh.
   */
  onOutcomes: (outcomes: ReadonlyMap<string, SyncOutcome>) => BatchSummary;
}>;

/** Turns the sync's hooks into the two metrics its alarms read and the figures of its batch log line. */
export function createSyncMetrics(sink: MetricsSink<'sync'>): SyncMetrics {
  let requestsByStatus = new Map<string, number>();
  let requests = 0;
  let tokenRefreshes = 0;

  return {
    onResponse: ({ method, status, kind }) => {
      requests += 1;
      const key = `${method}_${status === undefined ? (kind ?? 'network') : String(status)}`;
      requestsByStatus.set(key, (requestsByStatus.get(key) ?? 0) + 1);
    },
    onTokenRefresh: () => {
      tokenRefreshes += 1;
    },
    onOutcomes: (outcomes) => {
      const byOutcome: Record<string, number> = {};
      let customers = 0;
      for (const outcome of outcomes.values()) {
        byOutcome[outcome.status] = (byOutcome[outcome.status] ?? 0) + 1;
        if (outcome.status === 'created' || outcome.status === 'existed' || outcome.status === 'updated') customers += 1;
      }
      let rateLimited = 0;
      let authFailures = 0;
      for (const [key, count] of requestsByStatus) {
        if (key.endsWith('_429')) rateLimited += count;
        if (key.endsWith('_401') || key.endsWith('_403')) authFailures += count;
      }
      if (rateLimited > 0) sink.add(Metric.BigCommerceRateLimited, rateLimited);
      if (authFailures > 0) sink.add(Metric.BigCommerceAuthFailures, authFailures);
      const summary: Record<string, number | Readonly<Record<string, number>>> = { ...byOutcome };
      if (customers > 0) summary['customers'] = customers;
      if (requests > 0) {
        summary['bigCommerceRequests'] = requests;
        summary['bigCommerceByStatus'] = Object.fromEntries(requestsByStatus);
      }
      if (rateLimited > 0) summary['rateLimited'] = rateLimited;
      if (authFailures > 0) summary['authFailures'] = authFailures;
      if (customers > 0 && requests > 0) summary['requestsPerCustomer'] = Math.round((requests / customers) * 10_000) / 10_000;
      if (tokenRefreshes > 0) summary['tokenRefreshes'] = tokenRefreshes;
      requestsByStatus = new Map();
      requests = 0;
      tokenRefreshes = 0;
      return summary;
    },
  };
}
