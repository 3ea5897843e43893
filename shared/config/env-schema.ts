import * as z from 'zod';
import { ConfigError } from './errors';

/** The few zod pieces both functions' configurations use; each function's module holds its own variables. */

export type Env = Readonly<Record<string, string | undefined>>;

export const queueUrl = z.url({ message: 'must be an SQS queue URL' });
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/**
 * POWERTOOLS_TRACE_ENABLED, Powertools' own switch: on unless 'false'. The deployed stack turns it off
 * (infra/constructs/function-bundling.ts) so the Tracer is not loaded (shared/observability/tracing.ts).
 */
export const powertoolsTracing = z
  .enum(['true', 'false'], { message: "must be 'true' or 'false'" })
  .default('true')
  .transform((value) => value === 'true');
export const jsonOf = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** Validates `env` against `schema`; the error names every bad variable, e.g. `SIGNUP_QUEUE_URL: must be ...`. */
export function parseEnv<T extends z.ZodType>(schema: T, env: Env): z.output<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
