import { createHmac, randomBytes } from 'node:crypto';
import { sameText } from './consent-keys';

/**
 * The signed, expiring token of a double opt-in link (`GET /confirm/{token}`, docs/subscribers.md).
 * It carries only what the confirm route needs to find the pending request and nothing a reader could
 * use: the person key (a keyed hash, never the email), the source id, a random nonce that names this
 * mail, and the expiry. `<payload>.<mac>`, both base64url: the payload is JSON, the MAC the first 128
 * bits of HMAC-SHA256 under the token key (consent-keys.ts) with a label of its own.
 *
 * A valid signature proves we made the link; the pending request in the consent table decides whether
 * it still confirms anything (erased, already confirmed, superseded by a newer request).
 */

export type ConfirmationClaims = Readonly<{
  /** The person key of the email (consent-keys.ts `personOf`). */
  person: string;
  sourceId: string;
  /** Names the mail this link was sent in (the pending request keeps the nonces it mailed). */
  nonce: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}>;

export type TokenCheck =
  | Readonly<{ ok: true; claims: ConfirmationClaims }>
  /** `malformed`: not one of our tokens; `signature`: altered or made without the key; `expired`: ours, too old. */
  | Readonly<{ ok: false; reason: 'malformed' | 'signature' | 'expired' }>;

/** Longer than any token we make (about 150 characters): anything longer is refused before it is decoded. */
export const MAX_TOKEN_LENGTH = 400;
const MAC_LABEL = 'signup-sync confirm v1\n';
const MAC_BYTES = 16;

const mac = (payload: string, key: Buffer): string =>
  createHmac('sha256', key).update(MAC_LABEL).update(payload).digest().subarray(0, MAC_BYTES).toString('base64url');

export const newNonce = (): string => randomBytes(9).toString('base64url');

export function signConfirmationToken(claims: ConfirmationClaims, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ p: claims.person, s: claims.sourceId, n: claims.nonce, e: claims.expiresAt })).toString('base64url');
  return `${payload}.${mac(payload, key)}`;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function verifyConfirmationToken(token: string, key: Buffer, nowMs: number): TokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const [payload, signature, ...rest] = token.split('.');
  if (payload === undefined || signature === undefined || rest.length > 0 || !BASE64URL.test(payload) || !BASE64URL.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }
  // The MAC first: nothing of an unsigned payload is read.
  if (!sameText(mac(payload, key), signature)) return { ok: false, reason: 'signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const { p, s, n, e } = fields;
  if (typeof p !== 'string' || typeof s !== 'string' || typeof n !== 'string' || typeof e !== 'number' || !Number.isFinite(e)) {
    return { ok: false, reason: 'malformed' };
  }
  if (e * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { person: p, sourceId: s, nonce: n, expiresAt: e } };
}
