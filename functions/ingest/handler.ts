import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadIngestConfig } from '../../shared/config';
import { createSourceSecretsProvider } from '../../shared/ingest/source-secrets-provider';
import { createLogger } from '../../shared/logger';
import { createSqsSignupQueue } from '../../shared/queue/signup-queue';
import { makeIngestHandler } from './make-handler';

// Composition root: configuration (the sources list included) is validated and clients are created
// once per cold start; the sources secret is read on first use and cached across warm invocations.
const config = loadIngestConfig();
const logger = createLogger('signup-ingest');

export const handler = makeIngestHandler({
  queue: createSqsSignupQueue(new SQSClient({}), config.signupQueueUrl),
  sources: config.sources,
  sourceSecrets: createSourceSecretsProvider({
    client: new SecretsManagerClient({}),
    secretId: config.sourcesSecretId,
    ttlMs: config.sourcesSecretTtlMs,
    sources: config.sources,
    logger,
  }),
  logger,
  ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
});
