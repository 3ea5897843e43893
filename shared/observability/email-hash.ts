import { createHmac, randomBytes } from 'node:crypto';

/**
 * Logs may say *which* customer a decision was about without saying who: an email appears only as a
 * keyed hash (HMAC-SHA256, first 16 hex chars). With the key kept out of the logs, a reader cannot
 * reverse it by hashing a list of known addresses; the same email hashes alike across log lines.
 * `undefined` when no key is known yet (the line then has no emailHash).
 */
export type EmailHasher = (email: string) => string | undefined;

const hashWith = (key: string, email: string) => createHmac('sha256', key).update(email.trim().toLowerCase()).digest('hex').slice(0, 16);

export function createEmailHasher(key: string | undefined): EmailHasher {
  // No key configured (local runs): a random one per process still keeps emails out of the logs.
  const secret = key && key.length > 0 ? key : randomBytes(32).toString('hex');
  return (email) => hashWith(secret, email);
}

/** Separates this use of the credential from any other key derived from it. */
const DERIVATION_LABEL = 'signup-sync email hash key v1';

/**
 * A hasher whose key is derived from a credential the function already holds (the sync's BigCommerce
 * token): stable across execution environments and cold starts without a secret of its own, and known only
 * to those who hold the token, who can read the store's customers anyway. Until `useCredential` has seen a
 * token it hashes nothing (undefined); a rotated token gives new hashes from then on.
 */
export function credentialKeyedEmailHasher(): Readonly<{ hash: EmailHasher; useCredential: (credential: string) => void }> {
  let key: string | undefined;
  let keyOf: string | undefined;
  return {
    hash: (email) => (key === undefined ? undefined : hashWith(key, email)),
    useCredential: (credential) => {
      if (credential === '' || credential === keyOf) return;
      key = createHmac('sha256', credential).update(DERIVATION_LABEL).digest('hex');
      keyOf = credential;
    },
  };
}
