import { DEFAULT_DELIVERY_RETENTION_SECONDS } from '../ingest/delivery-ledger';
import { parseIngestSources } from '../ingest/ingest-sources';
import { DEFAULT_NAMELESS_POLICY, type NamelessPolicy, namelessPolicySchema } from '../signup/nameless-policy';
import { SourceConfigError } from '../sources/errors';
import { exposureProblems, type SourceConfig } from '../sources/source-config';
import * as z from '../zod-mini';
import { type Env, jsonOf, parseEnv, positiveInt, queueUrl, tracingMode } from './env-schema';
import { ConfigError } from './errors';

/**
 * The ingest function's environment, validated once at cold start; a bad value fails with a message
 * naming every bad variable (no silent defaults for required values). The names are the deployed
 * stack's contract (infra/constructs/), so they do not change.
 */
const ingestEnvSchema = z.object({
  SIGNUP_QUEUE_URL: queueUrl,
  /** JSON array of source configs (shared/sources/source-config.ts); validated again below. */
  SOURCES_CONFIG: z._default(jsonOf(z.array(z.unknown(), { message: 'must be a JSON array of source configurations' })), []),
  SOURCES_SECRET: z
    .string({ error: 'must be the name or ARN of the sources secret' })
    .check(z.minLength(1, { message: 'must be the name or ARN of the sources secret' })),
  SOURCES_SECRET_CACHE_TTL_SECONDS: positiveInt(300),
  /** Scheme, host and base path senders call, when API Gateway's own domain is not it (custom domain, local mode). */
  PUBLIC_BASE_URL: z.optional(z.url({ message: 'must be an absolute URL such as https://hooks.example.com' })),
  /** Where unmappable signups of webhook deliveries go (shared/ingest/unmappable.ts); absent: they are refused with 422. */
  DEAD_LETTER_QUEUE_URL: z.optional(queueUrl),
  /** JSON { nameless, placeholderNames }: what a signup without names becomes (shared/signup/nameless-policy.ts). */
  NAMELESS_POLICY: z.optional(jsonOf(namelessPolicySchema)),
  /** The delivery ledger's DynamoDB table (infra/constructs/delivery-ledger.ts). */
  DELIVERY_LEDGER_TABLE: z
    .string({ error: 'must be the name of the delivery ledger table' })
    .check(z.minLength(3, { message: 'must be the name of the delivery ledger table' })),
  DELIVERY_RETENTION_SECONDS: positiveInt(DEFAULT_DELIVERY_RETENTION_SECONDS),
  /** The ingest function's timeout: how long an unfinished delivery blocks its retries. */
  DELIVERY_IN_PROGRESS_SECONDS: positiveInt(10),
  /** JSON array of the custom field names customFieldMap sends to customer attributes (at most 10 per signup). */
  CUSTOM_ATTRIBUTE_FIELDS: z._default(jsonOf(z.array(z.string(), { message: 'must be a JSON array of custom field names' })), []),
  /**
   * The stack's one hash key (the sync's LOG_HASH_KEY secret): the keyed email hash of the trace lines (so an
   * email hashes alike in both functions' lines), and sub-keys of it for the client-address hash of public
   * forms' counters (shared/ingest/client-limit.ts) and the double opt-in links. Absent (local runs): random.
   */
  LOG_HASH_KEY: z.optional(z.string().check(z.minLength(16, { message: 'must be at least 16 characters' }))),
  /** `false`: POST /signups accepts Standard Webhooks signatures only, no `Authorization: Bearer`. */
  SIGNUPS_BEARER_TOKEN: z._default(z.enum(['true', 'false'], { message: 'must be true or false' }), 'true'),
  // cdk.json `tracing`: Lambda's active tracing is on, so each AWS SDK call is sent as a subsegment.
  TRACING: tracingMode,
  /**
   * The consent table, set when a source has doubleOptIn: the confirm route reads the pending request a
   * link names (GetItem only). Its links are verified with a key derived from LOG_HASH_KEY.
   */
  CONSENT_TABLE: z.optional(z.string().check(z.minLength(3, { message: 'must be the name of the consent table' }))),
});

export type IngestConfig = Readonly<{
  signupQueueUrl: string;
  /** The configured sources, defaults applied (POST /signups is not among them). */
  sources: readonly SourceConfig[];
  sourcesSecretId: string;
  sourcesSecretTtlMs: number;
  publicBaseUrl?: string;
  deadLetterQueueUrl?: string;
  namelessPolicy?: NamelessPolicy;
  /** Where each accepted delivery is recorded before it is enqueued (shared/ingest/delivery-ledger.ts). */
  deliveryLedger: Readonly<{ tableName: string; retentionSeconds: number; inProgressSeconds: number }>;
  /** Custom field names that become customer attributes in the sync (shared/ingest/attribute-limit.ts). */
  attributeFields: ReadonlySet<string>;
  /** Whether POST /signups also accepts its secret as a bearer token (else signatures only). */
  signupsBearerToken: boolean;
  /** The stack's hash key (LOG_HASH_KEY): trace lines' email hash, client addresses, double opt-in links; undefined: random per process. */
  hashKey?: string;
  /** Lambda's active tracing is on (TRACING=active): one X-Ray subsegment per AWS SDK call (shared/observability/tracing.ts). */
  tracing: boolean;
  /** The consent table and the stack's hash key, for the double opt-in confirm route; undefined: no double opt-in. */
  confirmations?: Readonly<{ tableName: string; hashKey: string }>;
}>;

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const parsed = parseEnv(ingestEnvSchema, env);
  let sources: SourceConfig[];
  try {
    sources = parseIngestSources(parsed.SOURCES_CONFIG);
  } catch (error) {
    if (!(error instanceof SourceConfigError)) throw error;
    throw new ConfigError(`Invalid configuration: SOURCES_CONFIG: ${error.issues.join('; ') || error.message}`, { cause: error });
  }
  // The same rules as synth (shared/deployment/stack-config.ts): a CAPTCHA decision per form, a route token per webhook.
  const exposure = exposureProblems(sources);
  if (exposure.length > 0) throw new ConfigError(`Invalid configuration: SOURCES_CONFIG: ${exposure.join('; ')}`);
  // Double opt-in links are signed with the stack's hash key and name a request in the consent table.
  const doubleOptIn = sources.filter((source) => source.doubleOptIn !== undefined).map((source) => source.id);
  if (doubleOptIn.length > 0 && (parsed.CONSENT_TABLE === undefined || parsed.LOG_HASH_KEY === undefined)) {
    throw new ConfigError(`Invalid configuration: CONSENT_TABLE, LOG_HASH_KEY: required for the double opt-in of ${doubleOptIn.join(', ')}`);
  }
  return {
    signupQueueUrl: parsed.SIGNUP_QUEUE_URL,
    sources,
    sourcesSecretId: parsed.SOURCES_SECRET,
    sourcesSecretTtlMs: parsed.SOURCES_SECRET_CACHE_TTL_SECONDS * 1000,
    attributeFields: new Set(parsed.CUSTOM_ATTRIBUTE_FIELDS),
    signupsBearerToken: parsed.SIGNUPS_BEARER_TOKEN === 'true',
    deliveryLedger: {
      tableName: parsed.DELIVERY_LEDGER_TABLE,
      retentionSeconds: parsed.DELIVERY_RETENTION_SECONDS,
      inProgressSeconds: parsed.DELIVERY_IN_PROGRESS_SECONDS,
    },
    ...(parsed.PUBLIC_BASE_URL ? { publicBaseUrl: parsed.PUBLIC_BASE_URL } : {}),
    ...(parsed.LOG_HASH_KEY ? { hashKey: parsed.LOG_HASH_KEY } : {}),
    ...(parsed.DEAD_LETTER_QUEUE_URL ? { deadLetterQueueUrl: parsed.DEAD_LETTER_QUEUE_URL } : {}),
    namelessPolicy: parsed.NAMELESS_POLICY ?? DEFAULT_NAMELESS_POLICY,
    tracing: parsed.TRACING === 'active',
    ...(parsed.CONSENT_TABLE !== undefined && parsed.LOG_HASH_KEY !== undefined
      ? { confirmations: { tableName: parsed.CONSENT_TABLE, hashKey: parsed.LOG_HASH_KEY } }
      : {}),
  };
}
