import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue } from '../http-input/request';
import { type AuthCredential, SourceAuthError, SourceConfigError } from './errors';

export { headerValue };

/**
 * Signature and token primitives shared by the adapters. Everything compares in constant time, and
 * nothing here puts a secret, a signature or a body into an error message.
 */

const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/**
 * Constant-time equality for secrets and signatures. Both sides are hashed first, so
 * `timingSafeEqual` always sees two 32-byte buffers and the comparison time does not leak the
 * expected length either.
 */
export function safeEqual(actual: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(sha256(actual), sha256(expected));
}

/** True when `expected` equals at least one candidate (secret rotation: several signatures per header). */
export function matchesAny(candidates: readonly Buffer[], expected: Buffer): boolean {
  let matched = false;
  for (const candidate of candidates) {
    // No early exit: every candidate costs the same.
    matched = safeEqual(candidate, expected) || matched;
  }
  return matched;
}

/**
 * Secret rotation (docs/sources.md, "Rotating a source secret"): runs `attempt` once per secret of a
 * source's entry (newest first) and returns the first success. Every secret is tried whichever matches
 * (no early exit), and each comparison inside is constant-time, so the time taken tells neither which
 * secret matched nor where it sits in the list. An authentication refusal moves on to the next secret;
 * any other error (a malformed body, an unusable secret) does not depend on the secret and is thrown.
 * An empty list runs `attempt` once with '' (a source without a secret).
 */
export function withAnySecret<T>(secrets: readonly string[], attempt: (secret: string) => T): T {
  let success: { value: T } | undefined;
  let refusal: SourceAuthError | undefined;
  for (const secret of secrets.length > 0 ? secrets : ['']) {
    try {
      const value = attempt(secret);
      success ??= { value };
    } catch (error) {
      if (!(error instanceof SourceAuthError)) throw error;
      refusal ??= error;
    }
  }
  if (success) return success.value;
  throw refusal ?? new SourceAuthError('invalid', 'signature', 'no secret matched');
}

/** HMAC-SHA256 over the concatenation of `parts` (strings are UTF-8). */
export function hmacSha256(key: string | Buffer, ...parts: readonly (string | Buffer)[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

export function sha256Hex(value: string | Buffer): string {
  return sha256(value).toString('hex');
}

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
const BASE64_DIGEST = /^[A-Za-z0-9+/_-]{43}=?$/;

/** A hex SHA-256 digest as bytes, or undefined if it is not one. */
export function decodeHexDigest(value: string): Buffer | undefined {
  const trimmed = value.trim();
  return HEX_DIGEST.test(trimmed) ? Buffer.from(trimmed, 'hex') : undefined;
}

/** A base64 (or base64url) SHA-256 digest as bytes, or undefined if it is not one. */
export function decodeBase64Digest(value: string): Buffer | undefined {
  const trimmed = value.trim();
  return BASE64_DIGEST.test(trimmed) ? Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : undefined;
}

/** Reads a required signature header or throws 401 "Missing signature". */
export function requireHeader(headers: Readonly<Record<string, string>>, name: string, credential: AuthCredential = 'signature'): string {
  const value = headerValue(headers, name);
  if (value === undefined) throw new SourceAuthError('missing', credential, `header ${name} absent`);
  return value;
}

const TIMESTAMP = /^\d{1,16}$/;

/**
 * Parses an integer timestamp header (`unit` seconds or milliseconds) and checks it lies within
 * ±`toleranceSeconds` of `now`: too old is a replay, too new is a forged clock. Both are answered
 * "Invalid signature" (SourceAuthError) without saying which.
 */
export function checkTimestamp(value: string, unit: 's' | 'ms', now: Date, toleranceSeconds: number): number {
  if (!TIMESTAMP.test(value)) throw new SourceAuthError('invalid', 'signature', 'timestamp is not an integer');
  const milliseconds = unit === 's' ? Number(value) * 1000 : Number(value);
  if (Math.abs(now.getTime() - milliseconds) > toleranceSeconds * 1000) {
    throw new SourceAuthError('invalid', 'signature', 'timestamp outside tolerance');
  }
  return milliseconds;
}

/** Throws 401 "Invalid signature" unless one candidate equals the expected digest. */
export function requireMatch(candidates: readonly Buffer[], expected: Buffer, detail = 'no signature matched'): void {
  if (!matchesAny(candidates, expected)) throw new SourceAuthError('invalid', 'signature', detail);
}

/**
 * Senders that cannot sign (Mailchimp, ActiveCampaign, Jotform, unsigned Webflow) call a URL that
 * carries a per-source token (docs/sources.md). Compared in constant time; 401 when absent or wrong.
 */
export function requireQueryToken(query: Readonly<Record<string, string>>, param: string, secret: string): void {
  const token = Object.hasOwn(query, param) ? query[param] : undefined;
  if (typeof token !== 'string' || token === '') throw new SourceAuthError('missing', 'token', `query parameter ${param} absent`);
  if (!safeEqual(token, secret)) throw new SourceAuthError('invalid', 'token', 'token mismatch');
}

/** `Authorization: Bearer <secret>`, compared in constant time. */
export function requireBearerToken(headers: Readonly<Record<string, string>>, secret: string): void {
  const authorization = requireHeader(headers, 'authorization', 'token');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match?.[1]) throw new SourceAuthError('invalid', 'token', 'authorization is not a bearer token');
  if (!safeEqual(match[1], secret)) throw new SourceAuthError('invalid', 'token', 'token mismatch');
}

/** Minimum length of secrets we compare as tokens: long enough to be unguessable. */
export const MIN_TOKEN_LENGTH = 16;

export function checkTokenSecret(secret: string, kind: string): void {
  if (secret.length < MIN_TOKEN_LENGTH) {
    throw new SourceConfigError(`The secret of a ${kind} source must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
}

/** For senders that hand out their own signing secret: only require that there is one. */
export function checkSigningSecret(secret: string, kind: string): void {
  if (secret.trim() === '') throw new SourceConfigError(`A ${kind} source needs a signing secret`);
}
