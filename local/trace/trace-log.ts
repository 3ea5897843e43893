import { isTraceLine, matchesKeys, type TraceKeys, type TraceLogGroup, type TraceRecord } from '../../ops/trace/trace-records';

/**
 * Local mode's log sink for `signup-sync trace`: the trace lines the ingest and the sync write
 * (shared/trace/trace-events.ts), and one access line per API answer as API Gateway's access log has
 * them (`requestId`, `status`, `routeKey`), kept in memory since local mode started. The same exact
 * match as on AWS picks a trace's lines (ops/trace/trace-records.ts). Bounded: the oldest lines go first.
 */

export type TraceLog = Readonly<{
  /** A logger's `observe` for one group (local/local-mode.ts gives one to each function's logger). */
  observer: (group: TraceLogGroup) => (entry: Readonly<Record<string, unknown>>) => void;
  /** An API answer, as API Gateway's access log writes it (infra/constructs/signup-ingress.ts). */
  access: (entry: Readonly<{ requestId: string; routeKey: string; status: number }>) => void;
  search: (keys: TraceKeys, window: Readonly<{ since: Date; until: Date }>) => TraceRecord[];
  size: () => number;
}>;

export const DEFAULT_TRACE_LOG_LINES = 50_000;

export function createTraceLog({ limit = DEFAULT_TRACE_LOG_LINES, now = () => new Date() }: Readonly<{ limit?: number; now?: () => Date }> = {}): TraceLog {
  let records: TraceRecord[] = [];
  const push = (record: TraceRecord) => {
    records.push(record);
    // Trimmed in chunks, so a long run does not copy the array on every line.
    if (records.length > limit * 1.1) records = records.slice(-limit);
  };
  return {
    observer: (group) => (entry) => {
      if (!isTraceLine(entry)) return;
      const at = typeof entry['timestamp'] === 'string' ? entry['timestamp'] : now().toISOString();
      push({ at, group, line: { ...entry } });
    },
    access: ({ requestId, routeKey, status }) => {
      const at = now().toISOString();
      push({ at, group: 'api', line: { requestId, time: at, routeKey, status } });
    },
    search: (keys, { since, until }) => {
      const from = since.toISOString();
      const to = until.toISOString();
      return records.filter((record) => record.at >= from && record.at <= to && matchesKeys(record.line, keys));
    },
    size: () => records.length,
  };
}
