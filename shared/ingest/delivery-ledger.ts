import { createHash } from 'node:crypto';

/**
 * The idempotent receiver's port (docs/trust.md, "Deliveries enqueued once"): every delivery the ingest
 * accepts is recorded under its key BEFORE it is enqueued, and completed only once SQS took it.
 *
 * - a key never seen (or seen longer ago than the retention): `deliver` runs, its result is stored;
 * - a key completed within the retention: `deliver` does not run; the stored result comes back with
 *   `repeat: true`, and the sender gets the same success answer as the first time;
 * - a key in progress (another attempt is enqueueing it, or one crashed less than the in-progress
 *   window ago): DeliveryInProgressError of ./errors.ts (503 + Retry-After), so the sender's retry comes back later
 *   and is enqueued if the first attempt never finished: a crash never turns a retry into a drop;
 * - `deliver` throws: the record is removed and the error passes through (the sender retries).
 *
 * The adapter is shared/aws/dynamodb-delivery-ledger.ts (Powertools Idempotency over DynamoDB).
 */
export interface DeliveryLedger {
  once<T extends DeliveryReceipt>(key: string, deliver: () => Promise<T>): Promise<LedgerResult<T>>;
}

/** What is stored for a completed delivery and answered again to a repeat: message ids, nothing personal. */
export type DeliveryReceipt = Readonly<{ accepted: number; ids: readonly string[] }>;

export type LedgerResult<T> = Readonly<{ repeat: boolean; receipt: T }>;

/** Default retention: HubSpot workflows retry for up to 3 days, the longest schedule among the senders (docs/trust.md). */
export const DEFAULT_DELIVERY_RETENTION_SECONDS = 72 * 60 * 60;

/**
 * The ledger key of a delivery: source id + the sender's delivery id (webhook-id, X-Shopify-Webhook-Id,
 * Typeform event_id, Tally eventId, the signup's event_id ...), else the SHA-256 of the raw body, which
 * is the same for a sender's retry and for a double-clicked form.
 */
export function deliveryKey(sourceId: string, deliveryId: string | undefined, rawBody: Buffer): string {
  const id = deliveryId !== undefined && deliveryId.trim() !== '' ? `id:${deliveryId.trim()}` : `body:${createHash('sha256').update(rawBody).digest('hex')}`;
  return `${sourceId}:${id}`;
}

/**
 * The delivery id of a request whose signups carry event ids: the only one's, else none (several
 * signups without a delivery-level id are keyed by their body).
 */
export function singleEventId(signups: readonly Readonly<{ event_id?: string | undefined }>[]): string | undefined {
  return signups.length === 1 ? signups[0]?.event_id : undefined;
}

/** For tests, benches and anything that must not dedupe: every delivery runs. */
export const NO_DELIVERY_LEDGER: DeliveryLedger = {
  once: async (_key, deliver) => ({ repeat: false, receipt: await deliver() }),
};
