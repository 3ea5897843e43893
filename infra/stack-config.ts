import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { customFieldMapSchema } from '../shared/sync/customer-mapping';

/**
 * Deployment settings, read from the `signupSync` object in cdk.json's context (or `-c signupSync='{…}'`)
 * and validated at synth time so a bad value fails `cdk synth` with a message, not a broken deploy.
 */
export const PLACEHOLDER_STORE_HASH = 'yourstorehash';

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
    customFieldMap: customFieldMapSchema.default({}),
    syncTimeoutSeconds: z.number().int().min(10).max(900).default(30),
    /** Receives before a failing message moves to the DLQ (3–5 recommended, style.md #12). */
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    /** Concurrent sync invocations: BigCommerce's quota is per store, so a few are plenty. */
    maxConcurrency: z.number().int().min(2).max(1000).default(2),
    batchingWindowSeconds: z.number().int().min(0).max(300).default(5),
    apiThrottle: z
      .strictObject({ rateLimit: z.number().positive().default(50), burstLimit: z.number().int().positive().default(100) })
      .default({ rateLimit: 50, burstLimit: 100 }),
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => (Object.values(RetentionDays) as unknown[]).includes(days), { message: 'must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)' })
      .default(30),
  })
  .refine((config) => !(config.tokenSecretName && config.tokenSecretArn), {
    message: 'set tokenSecretName or tokenSecretArn, not both',
    path: ['tokenSecretArn'],
  });

export type StackConfig = z.output<typeof stackConfigSchema>;

export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackConfigError';
  }
}

export function parseStackConfig(raw: unknown): StackConfig {
  const value = typeof raw === 'string' ? safeJson(raw) : raw;
  const result = stackConfigSchema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `signupSync.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new StackConfigError(`Invalid signup-sync configuration in cdk.json context:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StackConfigError('signupSync context given on the command line is not valid JSON');
  }
}
