import { redactEmails } from '../../ops/redact';
import type { SyncOutcome, SyncStatus } from '../../shared/sync/outcome';
import type { QueueRecord } from '../../shared/sync/process-signup-records';

/** What the status page shows about one message: ids, status and reason; never an email or a name. */
export type RecentOutcome = Readonly<{
  at: string;
  /** The signup's id in the message: the id the ingest's 202 answered (`ids`). */
  signupId?: string;
  /** The signups queue's message id. */
  messageId: string;
  status: SyncStatus;
  sourceId?: string;
  customerId?: number;
  /** Rejection code or defer reason. */
  reason?: string;
  detail?: string;
  httpStatus?: number;
}>;

/** Messages by outcome: the customer statuses always, any other status once it occurred. */
export type OutcomeCounts = Readonly<Record<'created' | 'existed' | 'updated' | 'rejected' | 'deferred', number> & Partial<Record<SyncStatus, number>>>;

/** Requests the API refused, by source (`api` for POST /signups) and HTTP status. */
export type RefusalCount = Readonly<{ sourceId: string; status: number; count: number }>;

/**
 * What authentic deliveries held that was answered 2xx and kept nowhere, by source: `incomplete`
 * signups the source ignores (`incomplete: "ignore"`), and `not a signup` events (another event type,
 * a HubSpot Webhooks API batch). Counted, never alarmed on.
 */
export type IgnoredCount = Readonly<{ sourceId: string; what: 'incomplete' | 'not a signup'; count: number }>;

export type OutcomeRecorder = Readonly<{
  /** Pass as the sync handler's `onOutcomes`. */
  record: (outcomes: ReadonlyMap<string, SyncOutcome>, records: readonly QueueRecord[]) => void;
  /** Messages by outcome (two messages merged into one customer count twice; a customer's newsletter part also counts under its status). */
  counts: () => OutcomeCounts;
  /** Distinct customers created. */
  customersCreated: () => number;
  recent: () => RecentOutcome[];
  /** Counts one refused request (local/local-server.ts reports every answer). */
  refused: (sourceId: string, status: number) => void;
  refusals: () => RefusalCount[];
  /** Counts what a 2xx answer kept nowhere (local/local-server.ts reports the counts of every answer). */
  ignored: (sourceId: string, what: IgnoredCount['what'], count: number) => void;
  ignoredCounts: () => IgnoredCount[];
  /** The signup id of a signups-queue message this recorder has seen (to match a dead letter to its outcome). */
  signupIdOf: (messageId: string) => string | undefined;
  /** Removes the recent outcomes of one person (by person key: `signup-sync forget --local`); returns how many. */
  forget: (person: string) => number;
}>;

const MAX_REFUSAL_KEYS = 100;

/** The `id` of a signup message body (shared/ingest/signup-batch.ts), without keeping anything else of it. */
function signupIdIn(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

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
    default:
      // Statuses without a customer or a reason (a newsletter-only message): the status says it all.
      return {};
  }
}

/**
 * `personOf`: the person key of a message body (shared/consent/consent-keys.ts), kept beside each outcome
 * (never shown) so that `forget` finds a person's rows; without it nothing is kept and `forget` finds none.
 */
export function createOutcomeRecorder({
  keep = 100,
  now = () => new Date(),
  personOf,
}: Readonly<{ keep?: number; now?: () => Date; personOf?: (body: string) => string | undefined }> = {}): OutcomeRecorder {
  // The statuses the page shows start at 0; any other status the sync reports is counted from its first outcome.
  const counts: Record<'created' | 'existed' | 'updated' | 'rejected' | 'deferred', number> & Partial<Record<SyncStatus, number>> = {
    created: 0,
    existed: 0,
    updated: 0,
    rejected: 0,
    deferred: 0,
  };
  let recent: RecentOutcome[] = [];
  // messageId -> person key, for the rows in `recent` and the ids in `signupIds`.
  const persons = new Map<string, string>();
  const created = new Set<number>();
  const refusals = new Map<string, RefusalCount>();
  const ignoredBySource = new Map<string, IgnoredCount>();
  // messageId -> signup id, bounded like `recent` (insertion order is age order).
  const signupIds = new Map<string, string>();
  return {
    record(outcomes, records) {
      const byId = new Map(records.map((record) => [record.messageId, record]));
      const at = now().toISOString();
      for (const [messageId, outcome] of outcomes) {
        counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
        // A customer's newsletter part counts under its own status too (subscribed, resubscribed, …).
        const part = 'subscriber' in outcome ? outcome.subscriber : undefined;
        if (part) counts[part.status] = (counts[part.status] ?? 0) + 1;
        if (outcome.status === 'created') created.add(outcome.customerId);
        const record = byId.get(messageId);
        const sourceId = record?.attributes['SourceId']?.StringValue;
        const signupId = record ? signupIdIn(record.body) : undefined;
        const person = record && personOf ? personOf(record.body) : undefined;
        if (person !== undefined) persons.set(messageId, person);
        if (signupId) {
          signupIds.delete(messageId);
          signupIds.set(messageId, signupId);
          if (signupIds.size > keep * 10) signupIds.delete(signupIds.keys().next().value!);
        }
        recent.push({ at, ...(signupId ? { signupId } : {}), messageId, status: outcome.status, ...(sourceId ? { sourceId } : {}), ...describe(outcome) });
      }
      if (recent.length > keep * 2) recent = recent.slice(-keep);
      if (persons.size > keep * 10) for (const id of [...persons.keys()].slice(0, persons.size - keep * 10)) persons.delete(id);
    },
    counts: () => ({ ...counts }),
    customersCreated: () => created.size,
    recent: () => recent.slice(-keep).reverse(),
    refused(requestedSourceId, status) {
      // The source id comes from the request path: a flood of made-up ids must not grow this map without bound.
      let sourceId = requestedSourceId.slice(0, 64);
      if (!refusals.has(`${sourceId} ${status}`) && refusals.size >= MAX_REFUSAL_KEYS) sourceId = 'other sources';
      const key = `${sourceId} ${status}`;
      const current = refusals.get(key);
      refusals.set(key, { sourceId, status, count: (current?.count ?? 0) + 1 });
    },
    refusals: () => [...refusals.values()].sort((a, b) => a.sourceId.localeCompare(b.sourceId) || a.status - b.status),
    ignored(sourceId, what, count) {
      // Only authenticated deliveries of configured sources report counts: the map stays small.
      const key = `${sourceId} ${what}`;
      ignoredBySource.set(key, { sourceId, what, count: (ignoredBySource.get(key)?.count ?? 0) + count });
    },
    ignoredCounts: () => [...ignoredBySource.values()].sort((a, b) => a.sourceId.localeCompare(b.sourceId) || a.what.localeCompare(b.what)),
    signupIdOf: (messageId) => signupIds.get(messageId),
    forget(person) {
      const ids = new Set([...persons].filter(([, key]) => key === person).map(([id]) => id));
      const before = recent.length;
      recent = recent.filter((outcome) => !ids.has(outcome.messageId));
      for (const id of ids) {
        persons.delete(id);
        signupIds.delete(id);
      }
      return before - recent.length;
    },
  };
}
