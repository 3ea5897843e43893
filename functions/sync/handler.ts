import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BigCommerceClient } from '../../shared/bigcommerce/client';
import { loadSyncConfig } from '../../shared/config';
import { createEmailHasher } from '../../shared/observability/email-hash';
import { SERVICE } from '../../shared/observability/metric-names';
import { createPowertools, powertoolsLogger, powertoolsMetricsSink } from '../../shared/observability/powertools';
import { createSyncMetrics } from '../../shared/observability/sync-metrics';
import { createSqsDeadLetterQueue, createSqsVisibilityControl } from '../../shared/queue/dead-letter-queue';
import { createCachedSecret } from '../../shared/secrets/cached-secret';
import { createAttributeResolver } from '../../shared/sync/attribute-resolver';
import { createExistingShare } from '../../shared/sync/existing-share';
import { processOptionsFrom } from '../../shared/sync/process-signup-records';
import { createQuotaPacer } from '../../shared/sync/quota-pacer';
import { makeSyncHandler } from './make-handler';

// Composition root: configuration is validated and clients are created once per cold start; the token,
// attribute ids and the quota window seen last are cached across warm invocations.
const config = loadSyncConfig();
const powertools = createPowertools(SERVICE.sync);
const tracer = new Tracer({ serviceName: SERVICE.sync });
const logger = powertoolsLogger(powertools.logger);
const metrics = createSyncMetrics(powertoolsMetricsSink(powertools.metrics, { buffered: true }));
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const api = new BigCommerceClient({
  apiUrl: config.apiUrl,
  storeHash: config.storeHash,
  timeoutMs: config.requestTimeoutMs,
  tokens: createCachedSecret({ client: tracer.captureAWSv3Client(new SecretsManagerClient({})), secretId: config.tokenSecretId, ttlMs: config.tokenCacheTtlMs }),
  onResponse: metrics.onResponse,
  onTokenRefresh: () => {
    metrics.onTokenRefresh();
    logger.warn('BigCommerce refused the token; re-reading the secret');
  },
});

export const handler = makeSyncHandler({
  api,
  pacer: createQuotaPacer({ tailReserve: config.maxConcurrency - 1 }),
  existingShare: createExistingShare(),
  deadLetters: createSqsDeadLetterQueue(sqs, config.deadLetterQueueUrl),
  visibility: createSqsVisibilityControl(sqs, config.signupQueueUrl),
  resolveAttributes: createAttributeResolver(api, config.customer.customFieldMap),
  logger,
  hashEmail: createEmailHasher(config.logHashKey),
  options: processOptionsFrom(config),
  onOutcomes: (outcomes, _records, messages) => metrics.onOutcomes(outcomes, messages),
  edge: [captureLambdaHandler(tracer), injectLambdaContext(powertools.logger), logMetrics(powertools.metrics, { captureColdStartMetric: true })],
});
