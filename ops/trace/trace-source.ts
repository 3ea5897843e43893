import type { TraceKeys, TraceRecord } from './trace-records';

/** The time range a trace searches. */
export type TraceWindow = Readonly<{ since: Date; until: Date }>;

export type TraceSearchResult = Readonly<{
  /** The lines about the keys (matched exactly: trace-records.ts matchesKeys). */
  records: readonly TraceRecord[];
  /** Bytes the log store scanned for it (Logs Insights bills them), when it says. */
  scannedBytes?: number;
}>;

/**
 * Where trace lines are searched: the functions' log groups with CloudWatch Logs Insights
 * (ops/trace/logs-insights.ts), or local mode's log buffer (ops/trace/local-trace-source.ts).
 */
export interface TraceLogSource {
  /** Where, for the report: `log groups … (Logs Insights)`, `local mode at …`. */
  readonly description: string;
  /** The emails' keyed hashes, as the functions write them (the key stays with the source: Secrets Manager, local mode). */
  hashEmails(emails: readonly string[]): Promise<string[]>;
  search(keys: TraceKeys, window: TraceWindow): Promise<TraceSearchResult>;
  /** Releases its clients. */
  close?(): void;
}
