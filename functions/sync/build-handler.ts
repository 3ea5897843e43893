import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { type MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes } from 'aws-lambda';
import { createCachedSecret } from '../../shared/aws/cached-secret';
import { createDynamoDbConsentStore } from '../../shared/aws/dynamodb-consent-store';
import { createSesConfirmationMailer } from '../../shared/aws/ses-confirmation-mailer';
import { createSqsDeadLetterQueue, createSqsVisibilityControl } from '../../shared/aws/sqs-dead-letter-queue';
import { BigCommerceClient, type ResponseObserver, type TokenProvider } from '../../shared/bigcommerce/client';
import type { SyncConfig } from '../../shared/config/sync-config';
import type { ConfirmationMailer } from '../../shared/consent/confirmation-mail';
import { deriveConsentKeys } from '../../shared/consent/consent-keys';
import type { ConsentStore } from '../../shared/consent/consent-store';
import { describeError, type Logger } from '../../shared/logger';
import { createEmailHasher } from '../../shared/observability/email-hash';
import { type MetricsSink, SERVICE } from '../../shared/observability/metric-names';
import { createPowertools, powertoolsLogger, powertoolsMetricsSink, resetKeysPerInvocation } from '../../shared/observability/powertools';
import { createTracing } from '../../shared/observability/tracing';
import { createSubsegmentSender } from '../../shared/observability/xray-subsegment';
import type { SignupMessage } from '../../shared/signup/signup-schema';
import { createAttributeResolver } from '../../shared/sync/attribute-resolver';
import type { ConsentDeps } from '../../shared/sync/consent-stage';
import type { DeadLetterQueue, VisibilityControl } from '../../shared/sync/dead-letters';
import { createExistingShare, type ExistingShare } from '../../shared/sync/existing-share';
import type { SyncOutcome } from '../../shared/sync/outcome';
import { type ProcessRecordsOptions, processSignupRecords, type QueueRecord } from '../../shared/sync/process-signup-records';
import { createQuotaPacer, type QuotaPacer, type QuotaPacerOptions } from '../../shared/sync/quota-pacer';
import { createSyncMetrics } from '../../shared/sync/sync-metrics';

export type SyncOutcomesHook = (
  outcomes: ReadonlyMap<string, SyncOutcome>,
  records: readonly QueueRecord[],
  messages: ReadonlyMap<string, SignupMessage>,
) => void;

/**
 * What a caller other than Lambda may replace; everything left out is built from the config exactly as
 * the deployed function builds it (functions/sync/handler.ts passes none).
 */
export type SyncHandlerOverrides = Readonly<{
  /** For the DLQ and visibility changes (default: one SDK client, traced). */
  sqs?: SQSClient;
  /** For the token secret (default: one SDK client, traced). */
  secretsManager?: SecretsManagerClient;
  /** The token, instead of the token secret (local mode, benches). */
  tokens?: TokenProvider;
  fetch?: typeof fetch;
  /** The clock of the pacer, the token cache and the receipt-to-customer metric. */
  now?: () => number;
  /** Pacer settings over the deployed ones (`tailReserve = maxConcurrency - 1`). */
  pacer?: QuotaPacerOptions;
  /** Builds the pacer from its settings (default createQuotaPacer); benches count its waits through it. */
  createPacer?: (settings: QuotaPacerOptions) => QuotaPacer;
  existingShare?: ExistingShare;
  deadLetters?: DeadLetterQueue;
  visibility?: VisibilityControl;
  /** For the consent table (default: one SDK client, traced; local mode: its embedded DynamoDB). */
  dynamoDb?: DynamoDBClient;
  /** The consent table itself (tests). */
  consentStore?: ConsentStore;
  /** Double opt-in mails (default: SES v2; local mode: its outbox). */
  mailer?: ConfirmationMailer;
  /** Engine options over the config's (time budget and backoff, shortened by tests and benches). */
  options?: Partial<ProcessRecordsOptions>;
  /** Replaces Powertools Logger (local mode's lines, tests); its keys are reset before each invocation. */
  logger?: Logger;
  /** Replaces Powertools Metrics (local mode, tests); it receives the same metric names. */
  metrics?: MetricsSink<'sync'>;
  /** Sees every BigCommerce response after the metrics do (benches). */
  onResponse?: ResponseObserver;
  /** Sees every message's outcome after the metrics do (local mode's status page, benches). */
  onOutcomes?: SyncOutcomesHook;
}>;

/** Lambda's record attributes (camelCase) -> the SDK's shape, so a DLQ copy keeps them. */
function toSdkAttributes(attributes: SQSMessageAttributes | undefined): Record<string, MessageAttributeValue> {
  const converted: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value.stringValue !== undefined) converted[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return converted;
}

/**
 * The one wiring of the sync function: clients, the BigCommerce client with its metrics, the pacer, the
 * queues and the Powertools middlewares, from the validated config. Lambda, local mode, the benches and
 * the test harnesses all build the handler here. Call once per process (cold start): the token, attribute
 * ids and the quota window seen last are kept across invocations.
 */
export function buildSyncHandler(config: SyncConfig, overrides: SyncHandlerOverrides = {}) {
  const now = overrides.now ?? Date.now;
  const powertools = createPowertools(SERVICE.sync);
  // With Lambda's active tracing, each BigCommerce and AWS SDK call is one subsegment of Lambda's own trace (when sampled).
  const traceCall = config.tracing ? createSubsegmentSender() : undefined;
  const tracing = createTracing(traceCall);
  const apiHost = new URL(config.apiUrl).host;
  const logger = overrides.logger ?? powertoolsLogger(powertools.logger);
  const metrics = createSyncMetrics(overrides.metrics ?? powertoolsMetricsSink<'sync'>(powertools.metrics));
  // Created only when an adapter needs it (benches and tests bring their own queues).
  let sqsClient: SQSClient | undefined;
  const sqs = (): SQSClient => (sqsClient ??= overrides.sqs ?? tracing.client(new SQSClient({})));
  const tokens =
    overrides.tokens ??
    createCachedSecret({
      client: overrides.secretsManager ?? tracing.client(new SecretsManagerClient({})),
      secretId: config.tokenSecretId,
      ttlMs: config.tokenCacheTtlMs,
      now,
    });
  const api = new BigCommerceClient({
    apiUrl: config.apiUrl,
    storeHash: config.storeHash,
    timeoutMs: config.requestTimeoutMs,
    tokens,
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    onResponse: (response) => {
      metrics.onResponse(response);
      if (traceCall) {
        const endMs = Date.now();
        traceCall({ name: apiHost, url: config.apiUrl, method: response.method, status: response.status, startMs: endMs - response.durationMs, endMs });
      }
      overrides.onResponse?.(response);
    },
    onTokenRefresh: () => {
      metrics.onTokenRefresh();
      logger.warn('BigCommerce refused the token; re-reading the secret');
    },
  });
  // Each concurrent sync sees only its own last Requests-Left, so the others' share is kept back (quota-pacer.ts).
  const pacerSettings: QuotaPacerOptions = { tailReserve: config.maxConcurrency - 1, now, ...overrides.pacer };
  const consent: ConsentDeps | undefined = config.consent && {
    store:
      overrides.consentStore ??
      createDynamoDbConsentStore({
        client: overrides.dynamoDb ?? tracing.client(new DynamoDBClient({})),
        tableName: config.consent.tableName,
        retentionSeconds: config.consent.retentionSeconds,
        now,
      }),
    keys: deriveConsentKeys(config.consent.hashKey),
    doubleOptIn: config.doubleOptIn,
    // SES only for a stack with double opt-in sources (its role may send from their senders only).
    ...(config.doubleOptIn.size > 0 ? { mailer: overrides.mailer ?? createSesConfirmationMailer(tracing.client(new SESv2Client({}))) } : {}),
    ...(config.confirmBaseUrl ? { confirmBaseUrl: config.confirmBaseUrl } : {}),
  };
  const deps = {
    api,
    pacer: (overrides.createPacer ?? createQuotaPacer)(pacerSettings),
    existingShare: overrides.existingShare ?? createExistingShare(),
    deadLetters: overrides.deadLetters ?? createSqsDeadLetterQueue(sqs(), config.deadLetterQueueUrl),
    visibility: overrides.visibility ?? createSqsVisibilityControl(sqs(), config.signupQueueUrl),
    resolveAttributes: createAttributeResolver(api, config.customer.customFieldMap),
    logger,
    hashEmail: createEmailHasher(config.logHashKey),
    ...(consent ? { consent } : {}),
    now,
  };
  const options: ProcessRecordsOptions = {
    conflictPolicy: config.conflictPolicy,
    customer: config.customer,
    requestTimeoutMs: config.requestTimeoutMs,
    deferralBackoffSeconds: config.deferralBackoffSeconds,
    subscribers: config.subscribers,
    ...overrides.options,
  };

  // The log context outermost: its `after` runs last. No metrics flush: each metric
  // goes out when it happens (shared/observability/powertools.ts), and cold starts are the logs' `cold_start`.
  return middy<SQSEvent, SQSBatchResponse>()
    .use(overrides.logger ? resetKeysPerInvocation(overrides.logger) : injectLambdaContext(powertools.logger, { resetKeys: true }))
    .onError(async (request) => {
      // Never lose a batch to a bug: report every record as failed so SQS delivers it again.
      logger.error('sync failed; the whole batch will be retried', describeError(request.error));
      request.response = { batchItemFailures: request.event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    })
    .handler(async (event, context) => {
      // Powertools Logger has the request id already (function_request_id); another logger gets it here.
      logger.appendKeys({ ...(overrides.logger ? { awsRequestId: context.awsRequestId } : {}), batchSize: event.Records.length });
      const records: QueueRecord[] = event.Records.map((record) => ({
        messageId: record.messageId,
        receiptHandle: record.receiptHandle,
        body: record.body,
        attributes: toSdkAttributes(record.messageAttributes),
        receiveCount: Number(record.attributes.ApproximateReceiveCount) || undefined,
      }));
      const { retry, outcomes, messages } = await processSignupRecords(
        records,
        { ...deps, remainingTimeMs: () => context.getRemainingTimeInMillis() },
        options,
      );
      // One line per batch with its figures (outcomes, BigCommerce requests by status, requests per customer).
      logger.info('batch synced', { records: records.length, ...metrics.onOutcomes(outcomes) });
      overrides.onOutcomes?.(outcomes, records, messages);
      return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}

export type SyncHandler = ReturnType<typeof buildSyncHandler>;
