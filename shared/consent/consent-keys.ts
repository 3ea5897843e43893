import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The keys of consent evidence, erasure and double opt-in, derived from the stack's one hash key (the
 * generated secret whose value the functions get as LOG_HASH_KEY, infra/constructs/customer-sync.ts): no
 * secret of its own (each costs a monthly fee), and each purpose gets its own key by a label, so no value
 * made for one purpose means anything for another (a log line's email hash is not a table key).
 *
 * - `personOf(email)`: the partition key of a person in the consent table and of their erasure entry,
 *   HMAC-SHA256 of the normalised email (full 256 bits: a collision would block another person). Without
 *   the key, a list of known addresses cannot be hashed to find who is in the table or who was erased.
 * - `tokenKey`: signs and verifies the double opt-in confirmation links (confirmation-token.ts).
 */

const PERSON_LABEL = 'signup-sync consent person v1';
const TOKEN_LABEL = 'signup-sync confirmation token v1';

/** At least what the generated secret has (48 characters); a short key would make the hashes guessable. */
export const MIN_CONSENT_KEY_LENGTH = 16;

export type ConsentKeys = Readonly<{
  /** The person key of an email (base64url, 43 characters). */
  personOf: (email: string) => string;
  tokenKey: Buffer;
}>;

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

const derive = (secret: string, label: string): Buffer => createHmac('sha256', secret).update(label).digest();

export class ConsentKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsentKeyError';
  }
}

export function deriveConsentKeys(secret: string): ConsentKeys {
  if (secret.length < MIN_CONSENT_KEY_LENGTH) throw new ConsentKeyError(`The consent key must be at least ${MIN_CONSENT_KEY_LENGTH} characters`);
  const personKey = derive(secret, PERSON_LABEL);
  return {
    personOf: (email) => createHmac('sha256', personKey).update(normalizeEmail(email)).digest('base64url'),
    tokenKey: derive(secret, TOKEN_LABEL),
  };
}

/** Constant-time comparison of two strings of any length. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
