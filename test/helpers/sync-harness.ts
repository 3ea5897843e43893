import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { buildSyncHandler } from '../../functions/sync/build-handler';
import type { BigCommerceSandbox } from '../../local/bigcommerce-sandbox';
import { loadSyncConfig } from '../../shared/config/sync-config';
import type { ConfirmationMailer } from '../../shared/consent/confirmation-mail';
import type { Logger } from '../../shared/logger';
import type { CustomFieldMap } from '../../shared/sync/customer-mapping';
import type { ExistingShare } from '../../shared/sync/existing-share';
import type { ConflictPolicy } from '../../shared/sync/sync-engine';
import { aLambdaContext, anSqsEvent } from './events';
import { testLogger } from './log-capture';
import { metricsRecorder } from './metrics-recorder';

export type ExchangeRecord = { method: string; sentAt: number; answeredAt: number; status: number | undefined; resetMs?: number; retryAfterMs?: number };

export type HarnessOptions = {
  remainingMs?: number;
  requestTimeoutMs?: number;
  conflictPolicy?: ConflictPolicy;
  customFieldMap?: CustomFieldMap;
  /** The token the secret holds; defaults to the sandbox's. */
  secretToken?: () => string;
  existingShare?: ExistingShare;
  /** SYNC_MAX_CONCURRENCY (default 1: the pacer keeps nothing back). */
  maxConcurrency?: number;
  /** The consent table (an embedded DynamoDB), the hash key, and double opt-in: the deployed sync's consent work. */
  consent?: Readonly<{
    dynamoDb: DynamoDBClient;
    tableName: string;
    hashKey: string;
    doubleOptIn?: Readonly<Record<string, unknown>>;
    mailer?: ConfirmationMailer;
    confirmBaseUrl?: string;
    now?: () => number;
  }>;
  /** Where the handler logs (default testLogger: the log-scan capture only). */
  logger?: Logger;
  /** LOG_HASH_KEY of the email hash in the logs (default: none, a random key). */
  logHashKey?: string;
};

/**
 * The real sync handler wired to the real sandbox over HTTP. SQS (DLQ, visibility) and Secrets Manager
 * are SDK mocks here; the moto-based integration suite covers their wire protocol.
 */
export function syncHarness(sandbox: BigCommerceSandbox, options: HarnessOptions = {}) {
  const sqsMock = mockClient(SQSClient);
  const secretsMock = mockClient(SecretsManagerClient);
  const deadLetters: SendMessageBatchRequestEntry[] = [];
  const visibility: { id: string; seconds: number; at: number }[] = [];
  const exchanges: ExchangeRecord[] = [];
  secretsMock.on(GetSecretValueCommand).callsFake(async () => ({ SecretString: options.secretToken?.() ?? sandbox.token }));
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
    deadLetters.push(...input.Entries);
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `dlq-${entry.Id}`, MD5OfMessageBody: 'x' })), Failed: [] };
  });
  sqsMock.on(ChangeMessageVisibilityBatchCommand).callsFake((input: { Entries: { Id: string; VisibilityTimeout: number }[] }) => {
    for (const entry of input.Entries) visibility.push({ id: entry.Id, seconds: entry.VisibilityTimeout, at: Date.now() });
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
  });

  const recordingFetch: typeof fetch = async (input, init) => {
    const sentAt = Date.now();
    try {
      const response = await fetch(input, init);
      const reset = response.headers.get('x-rate-limit-time-reset-ms');
      const retryAfter = response.headers.get('x-retry-after');
      exchanges.push({
        method: init?.method ?? 'GET',
        sentAt,
        answeredAt: Date.now(),
        status: response.status,
        ...(reset !== null ? { resetMs: Number(reset) } : {}),
        ...(retryAfter !== null ? { retryAfterMs: Number(retryAfter) * 1000 } : {}),
      });
      return response;
    } catch (error) {
      exchanges.push({ method: init?.method ?? 'GET', sentAt, answeredAt: Date.now(), status: undefined });
      throw error;
    }
  };

  const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  const metrics = metricsRecorder();
  // The deployed wiring (functions/sync/build-handler.ts) with the sandbox as BigCommerce and a short time budget.
  const config = loadSyncConfig({
    SIGNUP_QUEUE_URL: 'https://sqs.test/signups',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.test/dlq',
    BIGCOMMERCE_STORE_HASH: sandbox.storeHash,
    BIGCOMMERCE_TOKEN_SECRET: 'token',
    BIGCOMMERCE_API_URL: sandbox.url,
    BIGCOMMERCE_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    TOKEN_CACHE_TTL_SECONDS: '60',
    // One sync at a time here, so the pacer keeps nothing back for others (tailReserve 0).
    SYNC_MAX_CONCURRENCY: String(options.maxConcurrency ?? 1),
    CONFLICT_POLICY: options.conflictPolicy ?? 'skip',
    CUSTOM_FIELD_MAP: JSON.stringify(options.customFieldMap ?? {}),
    ...(options.logHashKey ? { LOG_HASH_KEY: options.logHashKey } : {}),
    ...(options.consent
      ? {
          CONSENT_TABLE: options.consent.tableName,
          LOG_HASH_KEY: options.consent.hashKey,
          ...(options.consent.doubleOptIn
            ? { DOUBLE_OPT_IN: JSON.stringify(options.consent.doubleOptIn), CONFIRM_BASE_URL: options.consent.confirmBaseUrl ?? 'https://signups.example.com' }
            : {}),
        }
      : {}),
  });
  const handler = buildSyncHandler(config, {
    sqs: new SQSClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    fetch: recordingFetch,
    ...(options.existingShare ? { existingShare: options.existingShare } : {}),
    ...(options.consent ? { dynamoDb: options.consent.dynamoDb } : {}),
    ...(options.consent?.mailer ? { mailer: options.consent.mailer } : {}),
    ...(options.consent?.now ? { now: options.consent.now } : {}),
    options: { reserveMs: 200, minRequestMs: 100, baseBackoffMs: 5 },
    logger: options.logger ?? testLogger,
    metrics: metrics.sink,
  });

  /** One invocation, like the event source mapping; returns the ids SQS would deliver again. */
  const invoke = async (records: SQSRecord[], remainingMs = options.remainingMs ?? 20_000): Promise<string[]> => {
    const result = await handler(anSqsEvent(records), aLambdaContext(remainingMs));
    return result.batchItemFailures.map((failure) => failure.itemIdentifier);
  };

  /** Redelivers deferred records until every one is settled (or `maxRounds`), like SQS would. */
  const settle = async (records: SQSRecord[], maxRounds = 10): Promise<{ rounds: number; unsettled: string[] }> => {
    let pending = records;
    let rounds = 0;
    while (pending.length > 0 && rounds < maxRounds) {
      rounds += 1;
      const retry = new Set(await invoke(pending));
      pending = pending.filter((record) => retry.has(record.messageId));
    }
    return { rounds, unsettled: pending.map((record) => record.messageId) };
  };

  return {
    invoke,
    settle,
    deadLetters,
    visibility,
    exchanges,
    metrics,
    restore: () => {
      sqsMock.restore();
      secretsMock.restore();
    },
  };
}

export const emailsOf = (sandbox: BigCommerceSandbox): string[] => sandbox.customers().map((customer) => customer.email.toLowerCase());

export function duplicatesIn(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    if (seen.has(value)) return true;
    seen.add(value);
    return false;
  });
}
