import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BigCommerceClient } from '../../shared/bigcommerce/client';
import { loadSyncConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { createSqsDeadLetterQueue, createSqsVisibilityControl } from '../../shared/queue/dead-letter-queue';
import { createCachedSecret } from '../../shared/secrets/cached-secret';
import { createAttributeResolver } from '../../shared/sync/attribute-resolver';
import { createQuotaPacer } from '../../shared/sync/quota-pacer';
import { makeSyncHandler } from './make-handler';

// Composition root: configuration is validated and clients are created once per cold start; the token,
// attribute ids and the quota window seen last are cached across warm invocations.
const config = loadSyncConfig();
const sqs = new SQSClient({});
const logger = createLogger('signup-sync');
const api = new BigCommerceClient({
  apiUrl: config.apiUrl,
  storeHash: config.storeHash,
  timeoutMs: config.requestTimeoutMs,
  tokens: createCachedSecret({ client: new SecretsManagerClient({}), secretId: config.tokenSecretId, ttlMs: config.tokenCacheTtlMs }),
  onTokenRefresh: () => logger.warn('BigCommerce refused the token; re-reading the secret'),
});

export const handler = makeSyncHandler({
  api,
  pacer: createQuotaPacer(),
  deadLetters: createSqsDeadLetterQueue(sqs, config.deadLetterQueueUrl),
  visibility: createSqsVisibilityControl(sqs, config.signupQueueUrl),
  resolveAttributes: createAttributeResolver(api, config.customer.customFieldMap),
  logger,
  options: { conflictPolicy: config.conflictPolicy, customer: config.customer, requestTimeoutMs: config.requestTimeoutMs },
});
