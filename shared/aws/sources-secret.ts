import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseSourceSecrets, type SourceSecrets } from '../ingest/ingest-sources';
import type { Logger } from '../logger';
import type { SourceConfig } from '../sources/source-config';
import { createCachedSecret } from './cached-secret';

export type SourceSecretsProviderOptions = Readonly<{
  client: SecretsManagerClient;
  /** Name or ARN of the sources secret (a JSON object sourceId -> secret). */
  secretId: string;
  ttlMs: number;
  sources: readonly SourceConfig[];
  logger: Logger;
  now?: () => number;
}>;

/**
 * The sources secret's value checked against the configured sources; the problems (source ids and what
 * is wrong, never values) are logged. Also used for a value given in memory (local mode).
 */
export function checkedSourceSecrets(secretString: string | undefined, sources: readonly SourceConfig[], logger: Logger): SourceSecrets {
  const parsed = parseSourceSecrets(secretString, sources);
  if (parsed.problems.length > 0) logger.error('sources secret: these sources cannot authenticate requests', { problems: parsed.problems });
  return parsed;
}

/**
 * The sources secret from Secrets Manager, read on first use and cached for `ttlMs` (a rotated or newly
 * added source secret is picked up within that time); each read is checked and its problems logged once.
 */
export function createSourceSecretsProvider({ client, secretId, ttlMs, sources, logger, now }: SourceSecretsProviderOptions): () => Promise<SourceSecrets> {
  const secret = createCachedSecret({
    client,
    secretId,
    ttlMs,
    ...(now ? { now } : {}),
    parse: (secretString) => checkedSourceSecrets(secretString, sources, logger),
  });
  return () => secret.get();
}
