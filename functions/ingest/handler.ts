import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadIngestConfig } from '../../shared/config';
import { createSourceSecretsProvider } from '../../shared/ingest/source-secrets-provider';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SERVICE } from '../../shared/observability/metric-names';
import { createPowertools, powertoolsLogger, powertoolsMetricsSink } from '../../shared/observability/powertools';
import { createSqsSignupQueue } from '../../shared/queue/signup-queue';
import { makeIngestHandler } from './make-handler';

// Composition root: configuration (the sources list included) is validated and clients are created
// once per cold start; the sources secret is read on first use and cached across warm invocations.
const config = loadIngestConfig();
const powertools = createPowertools(SERVICE.ingest);
const tracer = new Tracer({ serviceName: SERVICE.ingest });
const logger = powertoolsLogger(powertools.logger);

export const handler = makeIngestHandler({
  queue: createSqsSignupQueue(tracer.captureAWSv3Client(new SQSClient({})), config.signupQueueUrl),
  sources: config.sources,
  sourceSecrets: createSourceSecretsProvider({
    client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    secretId: config.sourcesSecretId,
    ttlMs: config.sourcesSecretTtlMs,
    sources: config.sources,
    logger,
  }),
  logger,
  metrics: powertoolsMetricsSink(powertools.metrics, { buffered: false }),
  edge: [captureLambdaHandler(tracer), injectLambdaContext(powertools.logger)],
  ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
});
