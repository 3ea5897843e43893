import { hmacSha256, matchesAny } from '../sources/auth';

/**
 * The keys `unmappable` dead letters are signed with (shared/ingest/unmappable.ts): the ingest signs
 * each letter with the newest, and `dlq redrive` re-runs a letter only if one of them verifies it, so a
 * letter forged or altered by someone who may send to the DLQ is refused (docs/security.md, "Forged or
 * re-dated dead letters").
 *
 * They live in the sources secret the ingest already reads (no secret of their own: each costs a
 * monthly fee), under the entry `deadLetters` (a name no source id can have: ids are lower-case slugs):
 * a string, or a list newest first while one rotates, each at least 32 characters. Without that entry
 * the key is derived from each `api` secret (POST /signups), newest first, so a stack works as created:
 * CloudFormation generates only one value per secret, and that value is `api`. An explicit entry is
 * better: rotating `api` then leaves the letters verifiable, and a holder of the `api` secret cannot
 * sign a letter (they could still not send one: the DLQ's policy admits only the stack's functions).
 */

export const DEAD_LETTER_KEYS_ENTRY = 'deadLetters';
export const MIN_DEAD_LETTER_KEY_LENGTH = 32;

/** Domain separation: a key derived from `api` never equals it, and serves this purpose only. */
const DERIVATION_LABEL = 'signup-sync dead-letter key v1';
const SIGNATURE_LABEL = 'signup-sync unmappable letter v2\n';

export type DeadLetterKeys = Readonly<{
  /** Newest first; the first signs. Empty: letters can be neither signed nor verified. */
  keys: readonly string[];
  /** Where they come from, for the doctor and the logs (never a value). */
  origin: 'entry' | 'derived-from-api' | 'none';
  /** `deadLetters: problem` lines (never a value). */
  problems: readonly string[];
}>;

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** The key derived from one `api` secret. */
export const deriveDeadLetterKey = (apiSecret: string): string => hmacSha256(apiSecret, DERIVATION_LABEL).toString('base64url');

/**
 * The dead-letter keys of the sources secret's table: its `deadLetters` entry, else derived from the `api`
 * secrets (`apiSecrets`, newest first, as checked for POST /signups). A malformed entry is a problem and
 * yields no keys (it is never silently replaced by derived ones: the operator meant to set it).
 */
export function deadLetterKeysOf(table: Readonly<Record<string, unknown>>, apiSecrets: readonly string[]): DeadLetterKeys {
  if (!Object.hasOwn(table, DEAD_LETTER_KEYS_ENTRY)) {
    const keys = apiSecrets.filter((secret) => secret !== '').map(deriveDeadLetterKey);
    // No `api` secret either: that is already a problem of its own (POST /signups cannot authenticate).
    return { keys, origin: keys.length > 0 ? 'derived-from-api' : 'none', problems: [] };
  }
  const value = table[DEAD_LETTER_KEYS_ENTRY];
  const keys = typeof value === 'string' ? [value] : isStringList(value) ? value : undefined;
  const problem =
    keys === undefined || keys.length === 0
      ? 'must be a string or a list of strings (newest first)'
      : keys.some((key) => key.length < MIN_DEAD_LETTER_KEY_LENGTH)
        ? `every key must be at least ${MIN_DEAD_LETTER_KEY_LENGTH} characters`
        : keys.length > 5
          ? 'at most 5 keys at once (remove the retired ones)'
          : undefined;
  if (problem !== undefined || keys === undefined) return { keys: [], origin: 'none', problems: [`${DEAD_LETTER_KEYS_ENTRY}: ${problem}`] };
  return { keys, origin: 'entry', problems: [] };
}

/** The same JSON for the same value whatever its key order (a letter read back from SQS and parsed). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The signature of a letter's content (every field but `hmac`), base64url. */
export function letterSignature(content: Readonly<Record<string, unknown>>, key: string): string {
  const { hmac: _ignored, ...signed } = content;
  return hmacSha256(key, SIGNATURE_LABEL, canonicalJson(signed)).toString('base64url');
}

/** Whether one of the keys signed this content (every key tried, each comparison constant-time). */
export function letterSignatureMatches(content: Readonly<Record<string, unknown>>, keys: readonly string[]): boolean {
  const claimed = content['hmac'];
  if (typeof claimed !== 'string' || keys.length === 0) return false;
  return matchesAny(
    keys.map((key) => Buffer.from(letterSignature(content, key))),
    Buffer.from(claimed),
  );
}
