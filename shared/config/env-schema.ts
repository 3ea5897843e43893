import * as z from '../zod-mini';
import { ConfigError } from './errors';

/** The few zod pieces both functions' configurations use; each function's module holds its own variables. */

export type Env = Readonly<Record<string, string | undefined>>;

export const queueUrl = z.url({ message: 'must be an SQS queue URL' });
export const positiveInt = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
/**
 * POWERTOOLS_TRACE_ENABLED, Powertools' own switch: on unless 'false'. The deployed stack turns it off
 * (infra/constructs/function-bundling.ts) so the Tracer is not loaded (shared/observability/tracing.ts).
 */
export const powertoolsTracing = z.pipe(
  z._default(z.enum(['true', 'false'], { message: "must be 'true' or 'false'" }), 'true'),
  z.transform((value: 'true' | 'false') => value === 'true'),
);
export const jsonOf = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((value: string, ctx) => {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'must be valid JSON', input: value });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );

/** Validates `env` against `schema`; the error names every bad variable, e.g. `SIGNUP_QUEUE_URL: must be ...`. */
export function parseEnv<T extends z.ZodMiniType>(schema: T, env: Env): z.output<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
