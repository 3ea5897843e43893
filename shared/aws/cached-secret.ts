import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenProvider } from '../bigcommerce/client';

export class SecretValueError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SecretValueError';
  }
}

/** SecretString is the raw token, or JSON with `access_token` (the shape BigCommerce's app install returns). */
export function parseTokenSecret(secretString: string | undefined): string {
  const value = secretString?.trim() ?? '';
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SecretValueError('The token secret looks like JSON but does not parse');
    }
    const token = (parsed as { access_token?: unknown }).access_token;
    if (typeof token !== 'string' || token.trim() === '') throw new SecretValueError('The token secret JSON has no access_token string');
    return token.trim();
  }
  if (value === '') throw new SecretValueError('The token secret is empty: put the BigCommerce API token in it');
  return value;
}

export type CachedSecretOptions<T = string> = Readonly<{
  client: SecretsManagerClient;
  secretId: string;
  ttlMs: number;
  now?: () => number;
  /** SecretString -> value; throws on an unusable value (which is then not cached). */
  parse?: (secretString: string | undefined) => T;
}>;

/** A secret read lazily and cached; `TokenProvider` is the string case. */
export interface CachedSecret<T> {
  get(): Promise<T>;
  refresh(): Promise<T>;
}

/**
 * Reads a secret lazily, keeps it for `ttlMs` across invocations of a warm Lambda, and shares one
 * in-flight read between concurrent callers. `refresh()` forces a read (after a 401).
 * Without `parse` the value is a BigCommerce token (`parseTokenSecret`).
 */
export function createCachedSecret(options: CachedSecretOptions<string>): TokenProvider;
export function createCachedSecret<T>(options: CachedSecretOptions<T> & { parse: (secretString: string | undefined) => T }): CachedSecret<T>;
export function createCachedSecret<T>({ client, secretId, ttlMs, now = Date.now, parse }: CachedSecretOptions<T>): CachedSecret<T> {
  const parseValue = parse ?? (parseTokenSecret as unknown as (secretString: string | undefined) => T);
  let cached: { value: T; expiresAt: number } | undefined;
  let inFlight: Promise<T> | undefined;

  const fetchSecret = (): Promise<T> => {
    inFlight ??= client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((result) => {
        const value = parseValue(result.SecretString);
        cached = { value, expiresAt: now() + ttlMs };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  return {
    get: async () => (cached && cached.expiresAt > now() ? cached.value : fetchSecret()),
    refresh: () => {
      cached = undefined;
      return fetchSecret();
    },
  };
}
