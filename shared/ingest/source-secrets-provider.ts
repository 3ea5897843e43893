import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../logger';
import { createCachedSecret } from '../secrets/cached-secret';
import type { SourceConfig } from '../sources/source-config';
import { parseSourceSecrets, type SourceSecrets } from './ingest-sources';

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
 * The sources secret, read on first use and cached for `ttlMs` (a rotated or newly added source
 * secret is picked up within that time). Each read is checked against the configured sources, and
 * the problems (source ids and what is wrong, never values) are logged once per read.
 */
export function createSourceSecretsProvider({ client, secretId, ttlMs, sources, logger, now }: SourceSecretsProviderOptions): () => Promise<SourceSecrets> {
  const secret = createCachedSecret({
    client,
    secretId,
    ttlMs,
    ...(now ? { now } : {}),
    parse: (secretString) => {
      const parsed = parseSourceSecrets(secretString, sources);
      if (parsed.problems.length > 0) logger.error('sources secret: these sources cannot authenticate requests', { problems: parsed.problems });
      return parsed;
    },
  });
  return () => secret.get();
}
