import { DEFAULT_CONSENT_RETENTION_DAYS } from '../consent/consent-store';
import { type ConfirmationMailSettings, confirmationMailSettingsSchema } from '../consent/double-opt-in';
import { type CustomerOptions, customFieldMapSchema } from '../sync/customer-mapping';
import { DEFERRAL_BACKOFF_SECONDS, MAX_VISIBILITY_SECONDS } from '../sync/redelivery-delay';
import type { ConflictPolicy } from '../sync/sync-engine';
import * as z from '../zod-mini';
import { type Env, jsonOf, parseEnv, positiveInt, queueUrl, tracingMode } from './env-schema';
import { ConfigError } from './errors';

/**
 * The sync function's environment, validated once at cold start; a bad value fails with a message
 * naming every bad variable. The names are the deployed stack's contract (infra/constructs/).
 */

/** BigCommerce answers in well under a second; 10 s leaves room for a slow store without eating the invocation. */
export const DEFAULT_BIGCOMMERCE_REQUEST_TIMEOUT_MS = 10_000;

const booleanFlag = z.pipe(
  z._default(z.enum(['true', 'false']), 'false'),
  z.transform((value: 'true' | 'false') => value === 'true'),
);
const intList = z.pipe(
  z.string().check(z.regex(/^\d+(,\d+)*$/, { message: 'must be comma-separated channel ids, e.g. 1,2' })),
  z.transform((value: string) => value.split(',').map(Number)),
);
const secondsList = z
  .pipe(
    z.string().check(z.regex(/^\d+(,\d+)*$/, { message: `must be comma-separated whole seconds, e.g. ${DEFERRAL_BACKOFF_SECONDS.join(',')}` })),
    z.transform((value: string) => value.split(',').map(Number)),
  )
  .check(
    z.refine((seconds: number[]) => seconds.every((value) => value >= 1 && value <= MAX_VISIBILITY_SECONDS), {
      message: `each must be 1 to ${MAX_VISIBILITY_SECONDS} (SQS's visibility limit)`,
    }),
  );

const syncEnvSchema = z.object({
  DEAD_LETTER_QUEUE_URL: queueUrl,
  SIGNUP_QUEUE_URL: queueUrl,
  BIGCOMMERCE_STORE_HASH: z.string().check(z.regex(/^[a-z0-9]+$/i, { message: 'must be the store hash, e.g. abc123' })),
  BIGCOMMERCE_TOKEN_SECRET: z.string().check(z.minLength(1, { message: 'must be the name or ARN of the token secret' })),
  BIGCOMMERCE_API_URL: z._default(z.url(), 'https://api.bigcommerce.com'),
  BIGCOMMERCE_REQUEST_TIMEOUT_MS: positiveInt(DEFAULT_BIGCOMMERCE_REQUEST_TIMEOUT_MS),
  TOKEN_CACHE_TTL_SECONDS: positiveInt(300),
  // The event source's maxConcurrency: how many syncs share the store's quota (the pacer keeps that many - 1 back).
  SYNC_MAX_CONCURRENCY: positiveInt(2),
  // Key for the email hash in logs; the stack fills it from a generated secret at deploy time.
  LOG_HASH_KEY: z.optional(z.string().check(z.minLength(16, { message: 'must be at least 16 characters' }))),
  CONFLICT_POLICY: z._default(z.enum(['skip', 'update']), 'skip'),
  CUSTOMER_CHANNEL_IDS: z.optional(intList),
  CUSTOMER_ORIGIN_CHANNEL_ID: z.optional(z.coerce.number().check(z.int(), z.positive())),
  CUSTOMER_GROUP_ID: z.optional(z.coerce.number().check(z.int(), z.nonnegative())),
  SEND_WELCOME_EMAIL: booleanFlag,
  FORCE_PASSWORD_RESET: booleanFlag,
  CUSTOM_FIELD_MAP: z._default(jsonOf(customFieldMapSchema), {}),
  // How long a deferred signup stays invisible, by delivery (shared/sync/redelivery-delay.ts); tests and
  // the chaos run shorten it along with the visibility timeout.
  DEFERRAL_BACKOFF_SECONDS: z.optional(secondsList),
  // Write newsletter subscribers (docs/subscribers.md); 'false' = customers only.
  SYNC_SUBSCRIBERS: z.pipe(
    z._default(z.enum(['true', 'false']), 'true'),
    z.transform((value: 'true' | 'false') => value === 'true'),
  ),
  // cdk.json `tracing`: Lambda's active tracing is on, so each BigCommerce and AWS SDK call is sent as a subsegment.
  TRACING: tracingMode,
  // The consent table (infra/constructs/consent-evidence.ts): evidence, erasures, double opt-in. Absent
  // only in tests and benches, which then write no evidence and check no erasure.
  CONSENT_TABLE: z.optional(z.string().check(z.minLength(3, { message: 'must be the name of the consent table' }))),
  CONSENT_RETENTION_SECONDS: positiveInt(DEFAULT_CONSENT_RETENTION_DAYS * 86_400),
  // JSON { "<source id>": { from, subject, ... } }: the double opt-in sources' mail settings.
  DOUBLE_OPT_IN: z._default(jsonOf(z.record(z.string(), confirmationMailSettingsSchema)), {}),
  // The ingest API's public URL: the confirmation links point at its GET /confirm/{token}.
  CONFIRM_BASE_URL: z.optional(z.url({ message: 'must be the ingest API URL' })),
});

export type SyncConfig = Readonly<{
  signupQueueUrl: string;
  deadLetterQueueUrl: string;
  storeHash: string;
  tokenSecretId: string;
  apiUrl: string;
  requestTimeoutMs: number;
  tokenCacheTtlMs: number;
  logHashKey: string | undefined;
  maxConcurrency: number;
  conflictPolicy: ConflictPolicy;
  customer: CustomerOptions;
  deferralBackoffSeconds: readonly number[];
  subscribers: boolean;
  /** Lambda's active tracing is on (TRACING=active): send one X-Ray subsegment per BigCommerce and AWS SDK call. */
  tracing: boolean;
  /** The consent table and how long evidence is kept; undefined: no consent work (tests, benches). */
  consent: Readonly<{ tableName: string; retentionSeconds: number; hashKey: string }> | undefined;
  /** Double opt-in mail settings by source id. */
  doubleOptIn: ReadonlyMap<string, ConfirmationMailSettings>;
  confirmBaseUrl: string | undefined;
}>;

export function loadSyncConfig(env: Env = process.env): SyncConfig {
  const parsed = parseEnv(syncEnvSchema, env);
  if (parsed.CONSENT_TABLE !== undefined && parsed.LOG_HASH_KEY === undefined) {
    throw new ConfigError('Invalid configuration: LOG_HASH_KEY: required with CONSENT_TABLE (the consent table is keyed by it)');
  }
  const doubleOptIn = new Map(Object.entries(parsed.DOUBLE_OPT_IN));
  if (doubleOptIn.size > 0 && (parsed.CONSENT_TABLE === undefined || parsed.CONFIRM_BASE_URL === undefined)) {
    throw new ConfigError('Invalid configuration: DOUBLE_OPT_IN: needs CONSENT_TABLE and CONFIRM_BASE_URL');
  }
  return {
    consent:
      parsed.CONSENT_TABLE !== undefined && parsed.LOG_HASH_KEY !== undefined
        ? { tableName: parsed.CONSENT_TABLE, retentionSeconds: parsed.CONSENT_RETENTION_SECONDS, hashKey: parsed.LOG_HASH_KEY }
        : undefined,
    doubleOptIn,
    confirmBaseUrl: parsed.CONFIRM_BASE_URL,
    signupQueueUrl: parsed.SIGNUP_QUEUE_URL,
    deadLetterQueueUrl: parsed.DEAD_LETTER_QUEUE_URL,
    storeHash: parsed.BIGCOMMERCE_STORE_HASH,
    tokenSecretId: parsed.BIGCOMMERCE_TOKEN_SECRET,
    apiUrl: parsed.BIGCOMMERCE_API_URL.replace(/\/+$/, ''),
    requestTimeoutMs: parsed.BIGCOMMERCE_REQUEST_TIMEOUT_MS,
    tokenCacheTtlMs: parsed.TOKEN_CACHE_TTL_SECONDS * 1000,
    logHashKey: parsed.LOG_HASH_KEY,
    maxConcurrency: parsed.SYNC_MAX_CONCURRENCY,
    conflictPolicy: parsed.CONFLICT_POLICY,
    deferralBackoffSeconds: parsed.DEFERRAL_BACKOFF_SECONDS ?? DEFERRAL_BACKOFF_SECONDS,
    subscribers: parsed.SYNC_SUBSCRIBERS,
    tracing: parsed.TRACING === 'active',
    customer: {
      ...(parsed.CUSTOMER_CHANNEL_IDS ? { channelIds: parsed.CUSTOMER_CHANNEL_IDS } : {}),
      ...(parsed.CUSTOMER_ORIGIN_CHANNEL_ID !== undefined ? { originChannelId: parsed.CUSTOMER_ORIGIN_CHANNEL_ID } : {}),
      ...(parsed.CUSTOMER_GROUP_ID !== undefined ? { customerGroupId: parsed.CUSTOMER_GROUP_ID } : {}),
      sendWelcomeEmail: parsed.SEND_WELCOME_EMAIL,
      forcePasswordReset: parsed.FORCE_PASSWORD_RESET,
      customFieldMap: parsed.CUSTOM_FIELD_MAP,
    },
  };
}
