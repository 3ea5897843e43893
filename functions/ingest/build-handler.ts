import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { warmUpAtColdStart } from '../../shared/aws/cold-start-warm-up';
import { createDynamoDbClientLimiter } from '../../shared/aws/dynamodb-client-limit';
import { createDynamoDbConsentStore } from '../../shared/aws/dynamodb-consent-store';
import { createDeliveryLedger, dynamoDbPersistenceStore } from '../../shared/aws/dynamodb-delivery-ledger';
import { createPendingCalls } from '../../shared/aws/pending-calls';
import { checkedSourceSecrets, createSourceSecretsProvider } from '../../shared/aws/sources-secret';
import { createSqsSignupQueue } from '../../shared/aws/sqs-signup-queue';
import { createSqsUnmappableDeadLetters } from '../../shared/aws/sqs-unmappable-dead-letters';
import { createSiteverifyClient } from '../../shared/captcha/siteverify-client';
import type { CaptchaVerifier } from '../../shared/captcha/verify-captcha';
import type { IngestConfig } from '../../shared/config/ingest-config';
import { deriveConsentKeys } from '../../shared/consent/consent-keys';
import { type ConsentStore, DEFAULT_CONSENT_RETENTION_DAYS } from '../../shared/consent/consent-store';
import { IngestOutOfTimeError } from '../../shared/http/errors';
import { problemResponses, requestLogKeys } from '../../shared/http/problem-middleware';
import { type MatchedRoute, matchIngestRoute, routeByKey } from '../../shared/http/routes';
import { rawRequestFromHttpApiEvent } from '../../shared/http-input/request';
import { type ClientLimiter, clientHashKeyOf } from '../../shared/ingest/client-limit';
import type { DeliveryLedger } from '../../shared/ingest/delivery-ledger';
import { handleIngestRequest } from '../../shared/ingest/ingest-request';
import type { IngestDeps } from '../../shared/ingest/ingest-signups';
import type { SourceSecrets } from '../../shared/ingest/ingest-sources';
import type { SignupQueue } from '../../shared/ingest/signup-queue';
import type { UnmappableDeadLetters } from '../../shared/ingest/unmappable';
import type { Logger } from '../../shared/logger';
import { createEmailHasher, type EmailHasher } from '../../shared/observability/email-hash';
import { ingestMetrics } from '../../shared/observability/ingest-metrics';
import { type MetricsSink, SERVICE } from '../../shared/observability/metric-names';
import { createPowertools, powertoolsLogger, powertoolsMetricsSink, resetKeysPerInvocation } from '../../shared/observability/powertools';
import { sourceOutcomeMetrics } from '../../shared/observability/source-metrics';
import { createTracing } from '../../shared/observability/tracing';
import { createSubsegmentSender } from '../../shared/observability/xray-subsegment';
import { sourceRouteSegment } from '../../shared/sources/source-config';

/**
 * What a caller other than Lambda may replace; everything left out is built from the config exactly as
 * the deployed function builds it (functions/ingest/handler.ts replaces nothing; it only asks for the warm-up).
 */
export type IngestHandlerOverrides = Readonly<{
  /**
   * Start the first request's AWS calls while the function starts (shared/aws/cold-start-warm-up.ts). Only the
   * Lambda entry sets it: tests and local mode make no call they did not ask for.
   */
  warmUpAtColdStart?: boolean;
  /** For the signup queue (default: one SDK client, traced). */
  sqs?: SQSClient;
  /** The queue itself (tests, benches). */
  queue?: SignupQueue;
  /** For the sources secret (default: one SDK client, traced). */
  secretsManager?: SecretsManagerClient;
  /** The sources secret's JSON value, instead of reading it from Secrets Manager (local mode, benches). */
  sourcesSecretValue?: string;
  /** The parsed sources secret (tests that pin a table or a failure). */
  sourceSecrets?: () => Promise<SourceSecrets>;
  /** For the delivery ledger's table (default: one SDK client, traced; local mode: its embedded DynamoDB). */
  dynamoDb?: DynamoDBClient;
  /** The consent table's pending requests, for the confirm route (tests). */
  consentStore?: Pick<ConsentStore, 'readPending'>;
  /** The delivery ledger itself (tests, benches; NO_DELIVERY_LEDGER enqueues every delivery). */
  ledger?: DeliveryLedger;
  /** html-form CAPTCHA checks (default: siteverify over node:https, to each source's provider or its `captcha.verifyUrl`). */
  captcha?: CaptchaVerifier;
  /** html-form per-client counters (default: the delivery ledger's table; NO_CLIENT_LIMIT counts nothing). */
  clientLimiter?: ClientLimiter;
  /** Where unmappable signups go (default: the DLQ of DEAD_LETTER_QUEUE_URL, when set). */
  unmappable?: UnmappableDeadLetters;
  now?: () => Date;
  newId?: () => string;
  /** Replaces Powertools Logger (local mode's lines, tests); its keys are reset before each request. */
  logger?: Logger;
  /** Replaces Powertools Metrics (local mode, tests); it receives the same metric names. */
  metrics?: MetricsSink<'ingest'>;
  /** The email hash of the trace lines (local mode shares one with its sync; default: keyed with LOG_HASH_KEY). */
  hashEmail?: EmailHasher;
}>;

/** The route API Gateway matched (routeKey and path parameters), else the method and path matched here. */
function routeOf(event: APIGatewayProxyEventV2): MatchedRoute | undefined {
  const route = routeByKey(event.routeKey);
  if (route) {
    const pathParameters = Object.fromEntries(Object.entries(event.pathParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return { route, pathParameters };
  }
  return matchIngestRoute(event.requestContext.http.method, event.rawPath);
}

/**
 * The one wiring of the ingest function: the queue, the sources secret, the delivery ledger and the Powertools middlewares,
 * from the validated config; adapts API Gateway HTTP API (payload v2) events to the ingest use case.
 * Lambda, local mode, the benches and the test helpers all build the handler here. Call once per
 * process (cold start): the sources secret is read on first use and cached across invocations.
 */
export function buildIngestHandler(config: IngestConfig, overrides: IngestHandlerOverrides = {}) {
  const powertools = createPowertools(SERVICE.ingest);
  const metricsSink = overrides.metrics ?? powertoolsMetricsSink<'ingest'>(powertools.metrics);
  const tracing = createTracing(config.tracing ? createSubsegmentSender() : undefined);
  const logger = overrides.logger ?? powertoolsLogger(powertools.logger);
  const { sources, publicBaseUrl } = config;
  const givenSecret = overrides.sourcesSecretValue;
  const checkedOnce = givenSecret === undefined ? undefined : checkedSourceSecrets(givenSecret, sources, logger);
  // What the AWS calls in flight are, for the log line of a request that runs out of time.
  const pendingCalls = createPendingCalls();
  // One SQS client for the signup queue and the dead-letter queue, created on first use.
  let sqsClient: SQSClient | undefined;
  const sqs = (): SQSClient => (sqsClient ??= pendingCalls.track(overrides.sqs ?? tracing.client(new SQSClient({}))));
  const unmappable = overrides.unmappable ?? (config.deadLetterQueueUrl ? createSqsUnmappableDeadLetters(sqs(), config.deadLetterQueueUrl) : undefined);
  // One DynamoDB client for the delivery ledger and the public forms' per-client counters (the same table).
  const dynamoDb = pendingCalls.track(overrides.dynamoDb ?? tracing.client(new DynamoDBClient({})));
  const deps: IngestDeps = {
    queue: overrides.queue ?? createSqsSignupQueue(sqs(), config.signupQueueUrl),
    namelessPolicy: config.namelessPolicy,
    ...(unmappable ? { unmappable } : {}),
    sources,
    sourceSecrets:
      overrides.sourceSecrets ??
      (checkedOnce
        ? async () => checkedOnce
        : createSourceSecretsProvider({
            client: pendingCalls.track(overrides.secretsManager ?? tracing.client(new SecretsManagerClient({}))),
            secretId: config.sourcesSecretId,
            ttlMs: config.sourcesSecretTtlMs,
            sources,
            logger,
          })),
    logger,
    ledger:
      overrides.ledger ??
      createDeliveryLedger({
        persistenceStore: dynamoDbPersistenceStore(dynamoDb, config.deliveryLedger.tableName),
        retentionSeconds: config.deliveryLedger.retentionSeconds,
        inProgressSeconds: config.deliveryLedger.inProgressSeconds,
        logger,
      }),
    captcha: overrides.captcha ?? createSiteverifyClient(),
    clientLimit: {
      limiter: overrides.clientLimiter ?? createDynamoDbClientLimiter(dynamoDb, config.deliveryLedger.tableName),
      hashKey: clientHashKeyOf(config.hashKey),
    },
    attributeFields: config.attributeFields,
    signupsBearerToken: config.signupsBearerToken,
    ...(config.confirmations
      ? {
          confirmations: {
            store:
              overrides.consentStore ??
              createDynamoDbConsentStore({
                client: dynamoDb,
                tableName: config.confirmations.tableName,
                retentionSeconds: DEFAULT_CONSENT_RETENTION_DAYS * 86_400,
              }),
            keys: deriveConsentKeys(config.confirmations.hashKey),
          },
        }
      : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.newId ? { newId: overrides.newId } : {}),
    // The sync's key, so an email hashes alike in both functions' trace lines.
    hashEmail: overrides.hashEmail ?? createEmailHasher(config.hashKey),
    onSourceOutcome: sourceOutcomeMetrics(metricsSink),
  };
  // At a cold start in Lambda (the entry asks for it; tests never do), the first request's calls start now.
  if (overrides.warmUpAtColdStart)
    void warmUpAtColdStart({
      sourcesSecret: deps.sourceSecrets,
      dynamoDb,
      ledgerTableName: config.deliveryLedger.tableName,
      sqs: sqs(),
      signupQueueUrl: config.signupQueueUrl,
      logger,
    });

  // A route's `<id>-<routeToken>` segment -> the configured source's id (undefined for any other path).
  const sourceIdOfSegment = (segment: string) => sources.find((source) => sourceRouteSegment(source) === segment)?.id;
  // Outermost first: their `after` runs last, so the metrics see the final answer of both paths.
  // middy ends a request a few ms before Lambda would end the invocation (its early timeout): with our
  // error instead of its generic one, so the answer is a 503 the sender retries and the log says why.
  const timeoutMs = config.deliveryLedger.inProgressSeconds * 1000;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>({
    timeoutEarlyResponse: () => {
      throw new IngestOutOfTimeError(timeoutMs);
    },
  })
    .use(
      overrides.logger
        ? resetKeysPerInvocation(overrides.logger)
        : injectLambdaContext(powertools.logger, { resetKeys: true, correlationIdPath: 'requestContext.requestId' }),
    )
    .use(ingestMetrics(metricsSink))
    .use(requestLogKeys(logger, sourceIdOfSegment))
    .use(problemResponses(logger, { outOfTimeFields: () => ({ waitingFor: pendingCalls.describe() }) }))
    .handler(async (event) => {
      const request = rawRequestFromHttpApiEvent(event, publicBaseUrl ? { publicBaseUrl } : {});
      const reply = await handleIngestRequest(routeOf(event), request, deps);
      return { statusCode: reply.status, headers: { ...reply.headers }, body: reply.body ?? '' };
    });
}

export type IngestHandler = ReturnType<typeof buildIngestHandler>;
