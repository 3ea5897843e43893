import { createHmac, randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { RawRequest } from '../http-input/request';
import { describeError, type Logger } from '../logger';
import { ClientLimitedError } from './errors';

/**
 * The per-client limit of public form posts (docs/security.md, "Bots farming a public form"): an
 * html-form source takes at most `clientLimit.max` posts per client per `clientLimit.windowSeconds`,
 * counted before the CAPTCHA check and the enqueue. A client is the request's source address as API
 * Gateway saw it (`requestContext.http.sourceIp`, not a header the client writes); an IPv6 address counts
 * by its /64, the block one subscriber line gets, so a bot cannot step through its own addresses.
 *
 * The counter lives in the delivery ledger's table (shared/aws/dynamodb-client-limit.ts): one item per
 * source, window and client, keyed by a keyed hash of the address (never the address in the clear),
 * expired by the table's TTL. Windows are fixed (aligned to the epoch), so a client gets at most twice
 * `max` across a window boundary.
 *
 * When the counter cannot be reached, the post is let through with a warning: the CAPTCHA still applies,
 * and a lost signup is worse than a few extra (the delivery ledger makes the same choice).
 */

export type ClientLimitWindow = Readonly<{ max: number; windowSeconds: number }>;

/** The port: one atomic count of a client's post in a window. */
export interface ClientLimiter {
  /** Counts the post under `key` in the window starting at `windowStart` (Unix seconds); false when it is over `max`. */
  take(request: Readonly<{ key: string; max: number; windowStart: number; expiresAt: number }>): Promise<boolean>;
}

/** For tests and benches that must not count: every post is within the limit. */
export const NO_CLIENT_LIMIT: ClientLimiter = { take: async () => true };

export type ClientLimitDeps = Readonly<{
  limiter: ClientLimiter;
  /** Keys the hash of the client address (derived from the stack's hash key; see clientHashKeyOf). */
  hashKey: Buffer;
}>;

/** Item ids start with this, apart from the delivery records Powertools writes (`signup-delivery#…`). */
export const CLIENT_LIMIT_KEY_PREFIX = 'client-limit';

/** Counters outlive their window by this much, so a clock a little behind never meets an expired one. */
const EXPIRY_GRACE_SECONDS = 60;

/**
 * The client-address hash key: derived from the stack's hash key (LOG_HASH_KEY, the key of the sync's
 * email hash), so the two hashes never coincide; without one (local runs, tests) a random key per process.
 */
export function clientHashKeyOf(stackHashKey: string | undefined): Buffer {
  const base = stackHashKey && stackHashKey.length > 0 ? stackHashKey : randomBytes(32).toString('hex');
  return createHmac('sha256', base).update('signup-sync client-limit v1').digest();
}

/** Expands `::` and any embedded IPv4 tail into eight 16-bit groups; undefined for anything else. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0]!.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4 !== undefined) {
    if (!isIPv4(v4)) return undefined;
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

/**
 * What counts as one client: an IPv4 address as it is; an IPv6 address by its /64 (an IPv4-mapped one as
 * its IPv4 address); anything else (no address: a call outside API Gateway) as one shared `unknown` client.
 */
export function clientOf(sourceIp: string | undefined): string {
  const address = sourceIp?.trim() ?? '';
  if (isIPv4(address)) return address;
  if (isIPv6(address)) {
    const groups = ipv6Groups(address);
    if (groups) {
      const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
      if (mapped) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
      return `${groups
        .slice(0, 4)
        .map((group) => group.toString(16))
        .join(':')}::/64`;
    }
  }
  return 'unknown';
}

/** The counter's item id: source, window start and the keyed hash of the client; never the address itself. */
export function clientLimitKey(hashKey: Buffer, sourceId: string, client: string, windowStart: number): string {
  const digest = createHmac('sha256', hashKey).update(client).digest('hex').slice(0, 32);
  return `${CLIENT_LIMIT_KEY_PREFIX}#${sourceId}#${windowStart}#${digest}`;
}

/**
 * Counts this post for its client and throws ClientLimitedError (429 + Retry-After: the seconds to the
 * window's end) once the client is over the source's limit.
 */
export async function checkClientLimit(
  deps: ClientLimitDeps,
  request: RawRequest,
  source: Readonly<{ id: string; clientLimit: ClientLimitWindow }>,
  now: Date,
  logger: Logger,
): Promise<void> {
  const { max, windowSeconds } = source.clientLimit;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const windowStart = nowSeconds - (nowSeconds % windowSeconds);
  const windowEnd = windowStart + windowSeconds;
  const key = clientLimitKey(deps.hashKey, source.id, clientOf(request.sourceIp), windowStart);
  let allowed: boolean;
  try {
    allowed = await deps.limiter.take({ key, max, windowStart, expiresAt: windowEnd + EXPIRY_GRACE_SECONDS });
  } catch (error) {
    logger.warn('client limit unavailable: post let through', describeError(error));
    return;
  }
  if (!allowed) throw new ClientLimitedError(Math.max(1, windowEnd - nowSeconds), { max, windowSeconds });
}
