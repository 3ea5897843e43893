import { createHash } from 'node:crypto';

/**
 * The idempotent receiver's port (docs/trust.md, "Deliveries enqueued once"): every delivery the ingest
 * accepts is recorded under its key BEFORE it is enqueued, and completed only once SQS took it. With the
 * key it stores a hash of the delivery's payload (`payloadHash`, what identifies its content), because a
 * key alone is not proof of a repeat: a client can reuse its own ids, a cached form page posts the same
 * `submission_id` for every visitor.
 *
 * - a key never seen (or seen longer ago than the retention): `deliver` runs, its result is stored;
 * - a key completed within the retention, with the same payload hash: `deliver` does not run; the stored
 *   result comes back with `repeat: true`, and the sender gets the same success answer as the first time;
 * - the same key with ANOTHER payload hash (completed or in progress): DeliveryConflictError of
 *   ./errors.ts, before anything runs; the caller decides (POST /signups answers 409, a source delivery
 *   is recorded again under a key that includes its payload hash: `conflictKey`);
 * - a key in progress with the same payload (another attempt is enqueueing it, or one crashed less than
 *   the in-progress window ago): DeliveryInProgressError of ./errors.ts (503 + Retry-After), so the
 *   sender's retry comes back later and is enqueued if the first attempt never finished: a crash never
 *   turns a retry into a drop;
 * - `deliver` throws: the record is removed and the error passes through (the sender retries).
 *
 * The adapter is shared/aws/dynamodb-delivery-ledger.ts (Powertools Idempotency over DynamoDB, its
 * payload validation comparing the hashes).
 */
export interface DeliveryLedger {
  once<T extends DeliveryReceipt>(delivery: Delivery, deliver: () => Promise<T>): Promise<LedgerResult<T>>;
}

/** A delivery as the ledger sees it: its key and the SHA-256 (hex) of what identifies its content. */
export type Delivery = Readonly<{ key: string; payloadHash: string }>;

/** What is stored for a completed delivery and answered again to a repeat: message ids, nothing personal. */
export type DeliveryReceipt = Readonly<{ accepted: number; ids: readonly string[] }>;

export type LedgerResult<T> = Readonly<{ repeat: boolean; receipt: T }>;

/** Default retention: HubSpot workflows retry for up to 3 days, the longest schedule among the senders (docs/trust.md). */
export const DEFAULT_DELIVERY_RETENTION_SECONDS = 72 * 60 * 60;

/**
 * The ledger key of a delivery: source id + the sender's delivery id when it is one the sender signed or
 * chose (Standard Webhooks `webhook-id`, Typeform event_id, Tally eventId, the signup's event_id ...),
 * else the SHA-256 of the raw body (always for Shopify, which signs nothing else), which is the same for
 * a sender's retry and for a double-clicked form. Never an unsigned header (docs/trust.md).
 */
export function deliveryKey(sourceId: string, deliveryId: string | undefined, rawBody: Buffer): string {
  const id = deliveryId !== undefined && deliveryId.trim() !== '' ? `id:${deliveryId.trim()}` : `body:${bodyHash(rawBody)}`;
  return `${sourceId}:${id}`;
}

/** The SHA-256 (hex) of a raw body: the key of a delivery without an id, and then its payload too. */
export const bodyHash = (rawBody: Buffer): string => sha256Hex(rawBody);

/**
 * The key under which a delivery is recorded when its key was already used for another payload: the key
 * plus the payload hash, so each distinct payload is enqueued once, and a true repeat of it folds again.
 */
export function conflictKey(delivery: Delivery): Delivery {
  return { key: `${delivery.key}:payload:${delivery.payloadHash}`, payloadHash: delivery.payloadHash };
}

/**
 * The SHA-256 (hex) of a JSON value with its object keys sorted: the same for the same content however
 * it was serialized (key order, whitespace, a multipart boundary), different for any other value.
 */
export function payloadHash(value: unknown): string {
  return sha256Hex(JSON.stringify(sortKeys(value)));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Readonly<Record<string, unknown>>;
  return Object.fromEntries(
    Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  );
}

const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * The delivery id of a request whose signups carry event ids: the only one's, else none (several
 * signups without a delivery-level id are keyed by their body).
 */
export function singleEventId(signups: readonly Readonly<{ event_id?: string | undefined }>[]): string | undefined {
  return signups.length === 1 ? signups[0]?.event_id : undefined;
}

/** For tests, benches and anything that must not dedupe: every delivery runs. */
export const NO_DELIVERY_LEDGER: DeliveryLedger = {
  once: async (_delivery, deliver) => ({ repeat: false, receipt: await deliver() }),
};
