import type { QueueRecord } from '../../shared/sync/process-signup-records';
import type { SyncOutcome, SyncStatus } from '../../shared/sync/outcome';
import { redactEmails } from '../../ops/redact';

/** What the status page shows about one message: ids, status and reason; never an email or a name. */
export type RecentOutcome = Readonly<{
  at: string;
  messageId: string;
  status: SyncStatus;
  sourceId?: string;
  customerId?: number;
  /** Rejection code or defer reason. */
  reason?: string;
  detail?: string;
  httpStatus?: number;
}>;

export type OutcomeCounts = Readonly<Record<SyncStatus, number>>;

export type OutcomeRecorder = Readonly<{
  /** Pass as the sync handler's `onOutcomes`. */
  record: (outcomes: ReadonlyMap<string, SyncOutcome>, records: readonly QueueRecord[]) => void;
  /** Messages by outcome (two messages merged into one customer count twice). */
  counts: () => OutcomeCounts;
  /** Distinct customers created. */
  customersCreated: () => number;
  recent: () => RecentOutcome[];
}>;

function describe(outcome: SyncOutcome): Pick<RecentOutcome, 'customerId' | 'reason' | 'detail' | 'httpStatus'> {
  switch (outcome.status) {
    case 'created':
    case 'updated':
      return { customerId: outcome.customerId };
    case 'existed':
      return outcome.customerId !== undefined ? { customerId: outcome.customerId } : {};
    case 'rejected':
      return {
        reason: outcome.rejection.code,
        detail: redactEmails(outcome.rejection.detail).slice(0, 300),
        ...(outcome.rejection.httpStatus !== undefined ? { httpStatus: outcome.rejection.httpStatus } : {}),
      };
    case 'deferred':
      return { reason: outcome.reason, ...(outcome.retryAfterMs !== undefined ? { detail: `retry in ${Math.ceil(outcome.retryAfterMs / 1000)} s` } : {}) };
  }
}

export function createOutcomeRecorder({ keep = 100, now = () => new Date() }: Readonly<{ keep?: number; now?: () => Date }> = {}): OutcomeRecorder {
  const counts: Record<SyncStatus, number> = { created: 0, existed: 0, updated: 0, rejected: 0, deferred: 0 };
  let recent: RecentOutcome[] = [];
  const created = new Set<number>();
  return {
    record(outcomes, records) {
      const byId = new Map(records.map((record) => [record.messageId, record]));
      const at = now().toISOString();
      for (const [messageId, outcome] of outcomes) {
        counts[outcome.status] += 1;
        if (outcome.status === 'created') created.add(outcome.customerId);
        const sourceId = byId.get(messageId)?.attributes['SourceId']?.StringValue;
        recent.push({ at, messageId, status: outcome.status, ...(sourceId ? { sourceId } : {}), ...describe(outcome) });
      }
      if (recent.length > keep * 2) recent = recent.slice(-keep);
    },
    counts: () => ({ ...counts }),
    customersCreated: () => created.size,
    recent: () => recent.slice(-keep).reverse(),
  };
}
