import { checkBatchSize } from '../../http-input/body';
import { checkTimestamp, decodeBase64Digest, headerValue, hmacSha256, requireBearerToken, requireMatch } from '../auth';
import { SourceAuthError, SourceConfigError, SourcePayloadError } from '../errors';
import { toEventId, withLastNamePolicy } from '../field-map';
import { checkBodySize, isoTime, isRecord, methodNotAllowed, ownValue, parseJsonBody } from '../http';
import type { RawRequest, SourceAdapter, SourceSignup } from '../source-adapter';
import { expectKind, ignore, quoted, signedOnly } from './common';

/**
 * Standard Webhooks v1 (docs/sources.md; the spec is github.com/standard-webhooks/standard-webhooks):
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${rawBody}` keyed with the base64-decoded part
 * of a `whsec_` secret, sent as space-separated `v1,<base64>` entries (several during rotation), with
 * the timestamp in unix seconds within ±5 minutes (the reference library's tolerance, both ways).
 * Svix's `svix-*` header names are accepted too (same scheme).
 *
 * Body: one canonical signup, an array of them, or the recommended envelope {type, timestamp, data}
 * whose `data` is either. The event id is `webhook-id` (stable across retries), suffixed with the
 * index in a batch, unless a signup carries its own `event_id`.
 */

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a `whsec_` secret. The spec wants 24 to 64 random bytes. */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length < 24 || key.length > 64) {
    throw new SourceConfigError('A standard-webhooks secret must be whsec_ followed by the base64 of 24 to 64 bytes');
  }
  return key;
}

const header = (request: RawRequest, name: string): string | undefined =>
  headerValue(request.headers, `webhook-${name}`) ?? headerValue(request.headers, `svix-${name}`);

function verifySignature(request: RawRequest, key: Buffer, now: Date, toleranceSeconds: number): string {
  const id = header(request, 'id');
  const timestamp = header(request, 'timestamp');
  const signatures = header(request, 'signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new SourceAuthError('missing', 'signature', 'webhook-id, webhook-timestamp or webhook-signature absent');
  }
  checkTimestamp(timestamp, 's', now, toleranceSeconds);
  const candidates = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64Digest(entry.slice(3)))
    .filter((digest): digest is Buffer => digest !== undefined);
  requireMatch(candidates, hmacSha256(key, `${id}.${timestamp}.`, request.body));
  return id;
}

export type StandardWebhookAuthOptions = Readonly<{ now: Date; toleranceSeconds: number; acceptBearerToken: boolean }>;

/**
 * Verifies a Standard Webhooks signature (or, when allowed and no signature is sent, a bearer token
 * equal to the whole secret) on the raw request. Returns the `webhook-id` of a signed request.
 * Throws SourceAuthError (401) or SourceConfigError (an unusable secret). Also used by POST /signups.
 */
export function authenticateStandardWebhook(request: RawRequest, secret: string, options: StandardWebhookAuthOptions): { webhookId?: string } {
  const key = standardWebhooksKey(secret);
  const bearer = options.acceptBearerToken && header(request, 'signature') === undefined && headerValue(request.headers, 'authorization') !== undefined;
  if (bearer) {
    requireBearerToken(request.headers, secret);
    return {};
  }
  return { webhookId: verifySignature(request, key, options.now, options.toleranceSeconds) };
}

export const standardWebhooksAdapter: SourceAdapter = {
  kind: 'standard-webhooks',
  secret: 'required',
  checkSecret: (secret) => {
    standardWebhooksKey(secret);
  },
  // A bearer token travels in Authorization, which no letter keeps; signature headers are not credentials.
  credentials: signedOnly,
  // Stable across the sender's retries: the spec asks receivers to dedupe on it.
  deliveryId: (request) => header(request, 'id'),
  decide(request, { source: config, secret, now, authenticated }) {
    const source = expectKind(config, 'standard-webhooks');
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    checkBodySize(request);
    // A re-run from our dead-letter queue: a signed delivery's id is its webhook-id (a bearer one has none).
    const { webhookId } = authenticated
      ? { webhookId: header(request, 'signature') === undefined ? undefined : header(request, 'id') }
      : authenticateStandardWebhook(request, secret, {
          now,
          toleranceSeconds: source.toleranceSeconds,
          acceptBearerToken: source.acceptBearerToken,
        });

    const body = parseJsonBody(request);
    let items: unknown = body;
    let occurredAt: string | undefined;
    if (isRecord(body) && typeof ownValue(body, 'type') === 'string' && ownValue(body, 'data') !== undefined) {
      const type = ownValue(body, 'type') as string;
      if (source.eventTypes && !source.eventTypes.includes(type)) return ignore(`event type ${quoted(type)} is not configured`);
      items = ownValue(body, 'data');
      occurredAt = isoTime(ownValue(body, 'timestamp'));
    }
    const list = Array.isArray(items) ? items : [items];
    if (list.length === 0) return ignore('the batch is empty');
    checkBatchSize(list.length);
    const signups = list.map((item, index): SourceSignup => {
      if (!isRecord(item)) {
        throw new SourcePayloadError(`Signup ${Array.isArray(items) ? `[${index}] ` : ''}must be a JSON object`, {
          field: Array.isArray(items) ? `[${index}]` : 'body',
        });
      }
      // An opt-out carries no names, so the last-name policy must not add one.
      const candidate = item['opt_out'] === true ? item : withLastNamePolicy(item, source.lastNamePolicy);
      const signup =
        candidate['event_id'] === undefined && webhookId !== undefined
          ? { ...candidate, event_id: toEventId(list.length === 1 ? webhookId : `${webhookId}:${index}`) }
          : candidate;
      return { signup, ...(occurredAt ? { occurredAt } : {}) };
    });
    return { type: 'signups', signups };
  },
};
