import * as z from 'zod';
import { parseIngestSources } from '../ingest/ingest-sources';
import { NAMELESS_POLICIES, placeholderNamesSchema } from '../signup/nameless-policy';
import { SourceConfigError } from '../sources/errors';
import { exposureProblems, type SourceConfig, type SourceConfigInput } from '../sources/source-config';
import { customFieldMapSchema } from '../sync/customer-mapping';
import { conflictPolicyProblems, placeholderNameProblems } from './conflict-policy-rules';

/**
 * Deployment settings, read from the `signupSync` object in cdk.json's context (or `-c signupSync='{…}'`)
 * and validated at synth time so a bad value fails `cdk synth` with a message, not a broken deploy.
 */
/** The retention periods CloudWatch Logs accepts (9999: never expire); an infra test compares it with aws-cdk-lib RetentionDays. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999] as const;

export const PLACEHOLDER_STORE_HASH = 'yourstorehash';

/** The `encryption` setting's values (docs/configuration.md). */
export const ENCRYPTION_MODES = ['aws-managed', 'customer-managed'] as const;
export type EncryptionMode = (typeof ENCRYPTION_MODES)[number];

/**
 * Lambda allows 4 KB for all of a function's environment variables together; the sources list travels
 * in one of them (SOURCES_CONFIG), so it gets most of that and the rest stays for the others.
 */
export const MAX_SOURCES_CONFIG_BYTES = 3_400;

/**
 * A source route's default throttle: 200 requests a second steady, bursts of 500 (docs/trust.md). The
 * stage-wide 50/100 of `apiThrottle` stays for POST /signups (up to 100 signups per request) and unknown ids.
 */
export const DEFAULT_SOURCE_THROTTLE = { rateLimit: 200, burstLimit: 500 } as const;

/** An AWS region code (eu-west-1, us-gov-west-1, ap-southeast-2). */
const AWS_REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/** A public ACM certificate ARN; its fourth field is the certificate's region. */
const ACM_CERTIFICATE_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov)?:acm:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:certificate\/[0-9a-f-]{36}$/;

/** A host name senders can call: two or more labels, lower case, no wildcard, no trailing dot (RFC 1123). */
const HOST_NAME_PATTERN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The region an ACM certificate ARN names, or undefined when it is not one. */
export function certificateRegion(certificateArn: string): string | undefined {
  return ACM_CERTIFICATE_ARN_PATTERN.exec(certificateArn)?.[1];
}

/**
 * A regional API Gateway custom domain takes an ACM certificate of its own region only. `region` is the
 * stack's (its `region` setting, or the one `cdk deploy` resolves for a stack without one); undefined:
 * not known at synth, and CloudFormation refuses a certificate of another region when it creates the domain.
 */
export function customDomainRegionProblem(config: Readonly<{ customDomain?: { certificateArn: string } }>, region: string | undefined): string | undefined {
  const certificate = config.customDomain ? certificateRegion(config.customDomain.certificateArn) : undefined;
  if (!certificate || !region || certificate === region) return undefined;
  return (
    `signupSync.customDomain.certificateArn: the certificate is in ${certificate} but the stack deploys to ${region}: ` +
    `a regional API Gateway domain takes an ACM certificate of its own region (request or import one in ${region})`
  );
}

const throttleSchema = (fallback: Readonly<{ rateLimit: number; burstLimit: number }>) =>
  z.strictObject({
    rateLimit: z.number().positive().max(10_000).default(fallback.rateLimit),
    burstLimit: z.number().int().positive().max(5_000).default(fallback.burstLimit),
  });

export const stackConfigSchema = z
  .strictObject({
    storeHash: z.string().regex(/^[a-z0-9]+$/i, { message: 'must be your BigCommerce store hash (letters and digits), e.g. abc123' }),
    /** Import an existing secret holding the API token; otherwise the stack creates one to fill in. */
    tokenSecretName: z.string().min(1).optional(),
    tokenSecretArn: z.string().startsWith('arn:', { message: 'must be a full secret ARN' }).optional(),
    bigCommerceApiUrl: z.url().default('https://api.bigcommerce.com'),
    conflictPolicy: z.enum(['skip', 'update']).default('skip'),
    customerChannelIds: z.array(z.number().int().positive()).min(1).optional(),
    customerOriginChannelId: z.number().int().positive().optional(),
    customerGroupId: z.number().int().nonnegative().optional(),
    sendWelcomeEmail: z.boolean().default(false),
    forcePasswordReset: z.boolean().default(false),
    customFieldMap: z._default(customFieldMapSchema, {}),
    /** Write newsletter subscribers for marketing consent and opt-outs (docs/subscribers.md); false: customers only. */
    subscribers: z.boolean().default(true),
    /** What a signup without names becomes, unless its source says otherwise (shared/signup/nameless-policy.ts). */
    nameless: z.enum(NAMELESS_POLICIES, { error: `must be one of ${NAMELESS_POLICIES.join(', ')}` }).default('subscriber'),
    /** The names a nameless signup gets under the `placeholder` policy. */
    placeholderNames: z.optional(placeholderNamesSchema),
    /**
     * The signup sources served at /sources/{id} (shared/sources/source-config.ts); each item is
     * validated with parseSourcesConfig below, so a mistake names the source and the field.
     */
    sources: z.array(z.unknown(), { message: 'must be an array of source configurations' }).default([]),
    /** Import the secret holding the sources' secrets (JSON object sourceId -> secret); otherwise the stack creates one. */
    sourcesSecretName: z.string().min(1).optional(),
    sourcesSecretArn: z.string().startsWith('arn:', { message: 'must be a full secret ARN' }).optional(),
    syncTimeoutSeconds: z.number().int().min(10).max(900).default(30),
    /** Receives before a failing message moves to the DLQ (3–5 is AWS's advice for Lambda consumers). */
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    /** Concurrent sync invocations: BigCommerce's quota is per store, so a few are plenty. */
    maxConcurrency: z.number().int().min(2).max(1000).default(2),
    batchingWindowSeconds: z.number().int().min(0).max(300).default(5),
    /** POST /signups also accepts the `api` secret as `Authorization: Bearer` (no replay protection); false: signatures only. */
    signupsBearerToken: z.boolean().default(true),
    /**
     * How long the ingest remembers a delivery (docs/trust.md): a sender's retry or a replay within it is
     * answered without being enqueued again. 72 h covers the longest retry schedule (HubSpot workflows, 3 days).
     */
    deliveryRetentionHours: z.number().int().min(1).max(720).default(72),
    /**
     * Each configured source gets its own routes (/sources/<id>) with this throttle, so one flooded form
     * cannot starve a webhook (docs/trust.md, "Public forms", explains the figures).
     */
    sourceThrottle: throttleSchema(DEFAULT_SOURCE_THROTTLE).default(DEFAULT_SOURCE_THROTTLE),
    /** Per source id, a throttle other than sourceThrottle (a big campaign form, a quiet webhook). */
    sourceThrottles: z.record(z.string(), throttleSchema(DEFAULT_SOURCE_THROTTLE)).default({}),
    apiThrottle: z
      .strictObject({ rateLimit: z.number().positive().default(50), burstLimit: z.number().int().positive().default(100) })
      .default({ rateLimit: 50, burstLimit: 100 }),
    /** Receives every alarm (the address must confirm the SNS subscription). */
    alarmEmail: z.email({ message: 'must be an email address' }).optional(),
    /** Alarm when the oldest waiting signup is older than this. */
    maxSignupAgeMinutes: z.number().int().min(1).max(1440).default(15),
    /** 429s per 5 minutes that, three periods running, raise the rate-limit alarm. */
    rateLimitedAlarmThreshold: z.number().int().min(1).default(10),
    /**
     * `aws-managed` (default): every store is encrypted with AWS-owned or AWS-managed keys and the stack
     * creates no KMS key. `customer-managed`: one KMS key of the stack's own (rotated yearly, about $1 a
     * month) encrypts the queues, the delivery ledger, the secrets it creates, the log groups, the
     * functions' environment variables and the alarm topic (docs/security.md, "Encryption").
     */
    encryption: z.enum(ENCRYPTION_MODES, { error: `must be one of ${ENCRYPTION_MODES.join(', ')}` }).default('aws-managed'),
    /** The AWS region this stack deploys to (e.g. one per store, docs/configuration.md); default: the one `cdk deploy` uses. */
    region: z.string().regex(AWS_REGION_PATTERN, { message: 'must be an AWS region such as eu-west-1' }).optional(),
    /**
     * Serve the ingest API on the merchant's own domain (docs/configuration.md#custom-domain): a regional
     * API Gateway domain with TLS 1.2, its certificate an ACM one in the stack's region.
     */
    customDomain: z
      .strictObject({
        domainName: z
          .string()
          .regex(HOST_NAME_PATTERN, { message: 'must be a host name such as signups.example.com (lower case, no wildcard, no trailing dot)' }),
        certificateArn: z.string().regex(ACM_CERTIFICATE_ARN_PATTERN, {
          message: 'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) covering domainName',
        }),
      })
      .optional(),
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: 'must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)',
      })
      .default(30),
  })
  .refine((config) => !(config.tokenSecretName && config.tokenSecretArn), {
    message: 'set tokenSecretName or tokenSecretArn, not both',
    path: ['tokenSecretArn'],
  })
  .refine((config) => !(config.sourcesSecretName && config.sourcesSecretArn), {
    message: 'set sourcesSecretName or sourcesSecretArn, not both',
    path: ['sourcesSecretArn'],
  })
  .check((context) => {
    const problem = customDomainRegionProblem(context.value, context.value.region);
    if (problem)
      context.issues.push({ code: 'custom', input: context.value, path: ['customDomain', 'certificateArn'], message: problem.replace(/^[^ ]+ /, '') });
  });

/** The validated settings; `sources` as the operator wrote them (the ingest applies the defaults at cold start). */
export type StackConfig = Omit<z.output<typeof stackConfigSchema>, 'sources'> & Readonly<{ sources: readonly SourceConfigInput[] }>;

export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackConfigError';
  }
}

export function parseStackConfig(raw: unknown): StackConfig {
  const value = typeof raw === 'string' ? safeJson(raw) : raw;
  const result = stackConfigSchema.safeParse(value ?? {});
  const problems = result.success ? [] : result.error.issues.map((issue) => `signupSync.${issue.path.join('.') || '(root)'}: ${issue.message}`);
  if (result.success) problems.push(...sourcesProblems(result.data.sources), ...publicFormProblems(result.data));
  if (result.success && problems.length === 0) problems.push(...conflictPolicyProblems(result.data), ...placeholderNameProblems(result.data));
  if (!result.success || problems.length > 0) {
    throw new StackConfigError(`Invalid signup-sync configuration in cdk.json context:\n  ${problems.join('\n  ')}`);
  }
  return { ...result.data, sources: result.data.sources as SourceConfigInput[] };
}

/** Every problem of the sources list (`signupSync.sources[1].thankYouUrl: ...`), and its size as an environment variable. */
function sourcesProblems(sources: readonly unknown[]): string[] {
  let parsed: SourceConfig[];
  try {
    parsed = parseIngestSources(sources);
  } catch (error) {
    if (!(error instanceof SourceConfigError)) throw error;
    return error.issues.map((issue) => `signupSync.${issue}`);
  }
  // A CAPTCHA decision per form and a route token per webhook, as the ingest's cold start requires them.
  const exposure = exposureProblems(parsed).map((problem) => `signupSync.${problem}`);
  const bytes = Buffer.byteLength(JSON.stringify(sources));
  return bytes > MAX_SOURCES_CONFIG_BYTES
    ? [
        ...exposure,
        `signupSync.sources: takes ${bytes} bytes as the ingest function's SOURCES_CONFIG environment variable, over the ${MAX_SOURCES_CONFIG_BYTES} it can have ` +
          '(Lambda allows 4 KB for all variables together): drop unused options and fieldMap entries, or split the sources over two deployments',
      ]
    : exposure;
}

/**
 * Public forms (docs/trust.md): a welcome email on a form anyone can post to mails any address a bot
 * submits, so an html-form source that sends one (its own `customerDefaults.sendWelcomeEmail`, else the
 * stack's `sendWelcomeEmail`) must have `captcha`. Its form token does not count: it is public in the
 * page. Also: a throttle override names a configured source.
 */
function publicFormProblems(config: z.output<typeof stackConfigSchema>): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  config.sources.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null) return;
    const source = raw as { id?: unknown; kind?: unknown; captcha?: unknown; customerDefaults?: { sendWelcomeEmail?: unknown } };
    if (typeof source.id === 'string') ids.add(source.id);
    const welcome = source.customerDefaults?.sendWelcomeEmail ?? config.sendWelcomeEmail;
    // `captcha: false` (with its reason) does not count either: the reason cannot stop a bot.
    if (source.kind === 'html-form' && welcome === true && (source.captcha === undefined || source.captcha === false)) {
      problems.push(
        `signupSync.sources[${index}]: sends a welcome email (${source.customerDefaults?.sendWelcomeEmail === true ? 'customerDefaults.sendWelcomeEmail' : 'signupSync.sendWelcomeEmail'}) ` +
          'from a public form without captcha: a bot could make the store email any address. Add "captcha" (turnstile, hcaptcha or recaptcha-v3), or set customerDefaults.sendWelcomeEmail to false',
      );
    }
  });
  for (const id of Object.keys(config.sourceThrottles)) {
    if (!ids.has(id)) problems.push(`signupSync.sourceThrottles.${id}: no configured source has this id`);
  }
  return problems;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StackConfigError('signupSync context given on the command line is not valid JSON');
  }
}

/**
 * The sync's customer and concurrency settings as its environment variables (shared/config/sync-config.ts reads
 * them): one mapping for the stack and for local mode.
 */
export function syncSettingsEnvironment(config: StackConfig): Record<string, string> {
  return {
    SYNC_MAX_CONCURRENCY: String(config.maxConcurrency),
    CONFLICT_POLICY: config.conflictPolicy,
    SEND_WELCOME_EMAIL: String(config.sendWelcomeEmail),
    FORCE_PASSWORD_RESET: String(config.forcePasswordReset),
    CUSTOM_FIELD_MAP: JSON.stringify(config.customFieldMap),
    SYNC_SUBSCRIBERS: String(config.subscribers),
    ...(config.customerChannelIds ? { CUSTOMER_CHANNEL_IDS: config.customerChannelIds.join(',') } : {}),
    ...(config.customerOriginChannelId !== undefined ? { CUSTOMER_ORIGIN_CHANNEL_ID: String(config.customerOriginChannelId) } : {}),
    ...(config.customerGroupId !== undefined ? { CUSTOMER_GROUP_ID: String(config.customerGroupId) } : {}),
  };
}

/** The ingest's global signup settings as its environment (shared/config/ingest-config.ts reads them). */
export function ingestSettingsEnvironment(config: StackConfig): Record<string, string> {
  return {
    NAMELESS_POLICY: JSON.stringify({ nameless: config.nameless, ...(config.placeholderNames ? { placeholderNames: config.placeholderNames } : {}) }),
  };
}
