import * as z from '../zod-mini';
import { ConfigError } from './errors';

/** The few zod pieces both functions' configurations use; each function's module holds its own variables. */

export type Env = Readonly<Record<string, string | undefined>>;

export const queueUrl = z.url({ message: 'must be an SQS queue URL' });
export const positiveInt = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
/** TRACING, from cdk.json `tracing`: `active` when Lambda's active tracing is on (shared/observability/tracing.ts). */
export const tracingMode = z._default(z.enum(['active', 'off'], { message: "must be 'active' or 'off'" }), 'off');
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
