import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FUNCTION_ENVIRONMENT } from '../infra/constructs/function-bundling';
import { type StackConfig, syncSettingsEnvironment } from '../shared/deployment/stack-config';
import { deploymentForStore } from '../shared/deployment/stores';
import { DEAD_LETTER_RETENTION_SECONDS, SIGNUP_RETENTION_SECONDS, VISIBILITY_TIMEOUT_FACTOR } from '../shared/queue/queue-settings';

/**
 * Local mode runs with the deployment's settings: the `signupSync` context of cdk.json, validated by
 * the same schema as `cdk synth`, and the queue constants of the CDK construct. Tests may override
 * the timings.
 */

export const DEFAULT_CDK_JSON = path.join(__dirname, '../cdk.json');

/**
 * Local mode needs no store hash from cdk.json (the sandbox has its own), so a missing one is filled in.
 * With several stores in cdk.json, it runs with one store's settings: `store` (LOCAL_STORE), by default the first.
 */
export function readStackConfig(cdkJsonPath: string = DEFAULT_CDK_JSON, store?: string): StackConfig {
  let context: unknown;
  try {
    const cdkJson = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: { signupSync?: unknown } };
    context = cdkJson.context?.signupSync;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const raw = typeof context === 'object' && context !== null ? context : {};
  return deploymentForStore({ storeHash: 'local', ...raw }, store).config;
}

export type LocalTimings = Readonly<{
  /** The sync function's timeout: the Lambda context counts down from it. */
  syncTimeoutMs: number;
  /** The signups queue's visibility timeout (whole seconds, as SQS takes it). */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  maxConcurrency: number;
  batchingWindowMs: number;
  /** Longest ReceiveMessage wait of the pollers (the event source mapping long-polls up to 20 s). */
  longPollSeconds: number;
  /**
   * Pause after an empty short poll (the embedded queue is short-polled; default 100 ms). A bench that times
   * a signup's way to BigCommerce shortens it, since on AWS a long poll answers as soon as a message is there.
   */
  idlePollMs?: number;
}>;

export type TimingOverrides = Partial<LocalTimings>;

export function localTimings(config: StackConfig, overrides: TimingOverrides = {}): LocalTimings {
  const syncTimeoutMs = overrides.syncTimeoutMs ?? config.syncTimeoutSeconds * 1000;
  const visibilityTimeoutSeconds = overrides.visibilityTimeoutSeconds ?? Math.ceil(syncTimeoutMs / 1000) * VISIBILITY_TIMEOUT_FACTOR;
  const timings: LocalTimings = {
    syncTimeoutMs,
    visibilityTimeoutSeconds,
    maxReceiveCount: overrides.maxReceiveCount ?? config.maxReceiveCount,
    maxConcurrency: overrides.maxConcurrency ?? config.maxConcurrency,
    batchingWindowMs: overrides.batchingWindowMs ?? config.batchingWindowSeconds * 1000,
    longPollSeconds: overrides.longPollSeconds ?? 20,
    ...(overrides.idlePollMs !== undefined ? { idlePollMs: overrides.idlePollMs } : {}),
  };
  const problems: string[] = [];
  if (!Number.isInteger(timings.visibilityTimeoutSeconds) || timings.visibilityTimeoutSeconds < 1)
    problems.push('visibilityTimeoutSeconds must be a whole number of seconds >= 1');
  if (timings.maxConcurrency < 2) problems.push('maxConcurrency must be >= 2 (as on the event source mapping)');
  if (timings.batchingWindowMs >= timings.visibilityTimeoutSeconds * 1000) problems.push('batchingWindowMs must be shorter than the visibility timeout');
  if (timings.syncTimeoutMs <= 0) problems.push('syncTimeoutMs must be > 0');
  if (!Number.isInteger(timings.maxReceiveCount) || timings.maxReceiveCount < 1) problems.push('maxReceiveCount must be an integer >= 1');
  if (problems.length > 0) throw new RangeError(`Invalid local mode timings: ${problems.join('; ')}`);
  return timings;
}

/** The queues' attributes as the CDK stack sets them (shared/queue/queue-settings.ts). TLS-only is a queue policy, not an attribute. */
export function deadLetterQueueAttributes(): Record<string, string> {
  return {
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
    SqsManagedSseEnabled: 'true',
  };
}

export function signupQueueAttributes(
  timings: Pick<LocalTimings, 'visibilityTimeoutSeconds' | 'maxReceiveCount'>,
  deadLetterQueueArn: string,
): Record<string, string> {
  return {
    MessageRetentionPeriod: String(SIGNUP_RETENTION_SECONDS),
    VisibilityTimeout: String(timings.visibilityTimeoutSeconds),
    SqsManagedSseEnabled: 'true',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: timings.maxReceiveCount }),
  };
}

/**
 * What infra/constructs/node-function.ts gives every function besides its own variables, NODE_OPTIONS aside
 * (a flag of the Node process, which local mode does not start).
 */
export const DEPLOYED_FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(FUNCTION_ENVIRONMENT).filter(([name]) => name !== 'NODE_OPTIONS'),
);

/**
 * The sync function's environment as infra/constructs/customer-sync.ts sets it, so local mode reads
 * it through the same `loadSyncConfig` as a cold start. The token is not read from Secrets Manager
 * locally; the secret name is a placeholder.
 */
export function syncEnvironment(
  config: StackConfig,
  target: Readonly<{ signupQueueUrl: string; deadLetterQueueUrl: string; storeHash: string; apiUrl: string; logHashKey?: string }>,
): Record<string, string> {
  return {
    ...DEPLOYED_FUNCTION_ENVIRONMENT,
    SIGNUP_QUEUE_URL: target.signupQueueUrl,
    // The stack generates this key; locally it is LOG_HASH_KEY, or a random one per run.
    ...(target.logHashKey ? { LOG_HASH_KEY: target.logHashKey } : {}),
    DEAD_LETTER_QUEUE_URL: target.deadLetterQueueUrl,
    BIGCOMMERCE_STORE_HASH: target.storeHash,
    BIGCOMMERCE_TOKEN_SECRET: 'local-mode-static-token',
    BIGCOMMERCE_API_URL: target.apiUrl,
    ...syncSettingsEnvironment(config),
  };
}

/** The configured sources (the stack config's `sources` setting). */
export function configuredSources(config: StackConfig): unknown[] {
  return Array.isArray(config.sources) ? config.sources : [];
}

/**
 * The sources' secrets for local mode (no Secrets Manager locally): LOCAL_SOURCES_SECRET holds what the
 * sources secret holds in AWS, a JSON object sourceId -> secret.
 */
export function localSourceSecrets(value: string | undefined): Record<string, unknown> {
  if (value === undefined || value.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('LOCAL_SOURCES_SECRET must be a JSON object of source id -> secret');
  }
  // Each entry as in the sources secret (docs/sources.md): a string, a list while rotating, or an object with captchaSecret.
  const isEntry = (entry: unknown) => typeof entry === 'string' || Array.isArray(entry) || (typeof entry === 'object' && entry !== null);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every(isEntry)) {
    throw new Error('LOCAL_SOURCES_SECRET must be a JSON object of source id -> secret (strings)');
  }
  return parsed as Record<string, unknown>;
}
