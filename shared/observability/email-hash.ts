import { createHmac, randomBytes } from 'node:crypto';

/**
 * Logs may say *which* customer a decision was about without saying who: an email appears only as a
 * keyed hash (HMAC-SHA256, first 16 hex chars). With the key kept out of the logs, a reader cannot
 * reverse it by hashing a list of known addresses; the same email hashes alike across log lines.
 */
export type EmailHasher = (email: string) => string;

export function createEmailHasher(key: string | undefined): EmailHasher {
  // No key configured (local runs): a random one per process still keeps emails out of the logs.
  const secret = key && key.length > 0 ? key : randomBytes(32).toString('hex');
  return (email) => createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex').slice(0, 16);
}
