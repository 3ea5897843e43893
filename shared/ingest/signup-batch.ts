import { randomUUID } from 'node:crypto';
import type * as z from 'zod';
import { checkBatchSize } from '../http-input/body';
import { HttpProblemError } from '../http-input/errors';
import { type FieldProblem, toJsonPointer } from '../http-input/problem-document';
import { applyNamelessPolicy, DEFAULT_NAMELESS_POLICY, type NamelessPolicy } from '../signup/nameless-policy';
import { SIGNUP_MESSAGE_SCHEMA_VERSION, type Signup, type SignupMessage, type SignupSource, signupSchema } from '../signup/signup-schema';

/** zod issues -> field problems. zod 4 leaves input values out of its messages, so nothing personal leaks. */
export function toFieldProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FieldProblem[] {
  return issues.map((issue) => ({ path: toJsonPointer([...prefix, ...issue.path]) || '/', message: issue.message }));
}

export function validationProblem(errors: readonly FieldProblem[]): HttpProblemError {
  return new HttpProblemError({
    title: 'Unprocessable Content',
    status: 422,
    detail: `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation; nothing was enqueued.`,
    errors,
  });
}

/**
 * Validates one signup object or an array of up to 100. Every failing field is reported, and the
 * request is refused as a whole so a sender never has to work out which half was accepted.
 */
export function parseSignupBatch(payload: unknown, policy: NamelessPolicy = DEFAULT_NAMELESS_POLICY): Signup[] {
  const items = Array.isArray(payload) ? payload : [payload];
  checkBatchSize(items.length);
  if (items.length === 0) {
    throw validationProblem([{ path: '/', message: 'Expected at least one signup' }]);
  }
  const signups: Signup[] = [];
  const errors: FieldProblem[] = [];
  items.forEach((item, index) => {
    const prefix = Array.isArray(payload) ? [index] : [];
    const result = signupSchema.safeParse(item);
    if (!result.success) {
      errors.push(...toFieldProblems(result.error.issues, prefix));
      return;
    }
    // Names are optional in the schema; whether this signup may lack them is the nameless policy's call.
    const decision = applyNamelessPolicy(result.data, policy);
    if (decision.ok) signups.push(decision.signup);
    else errors.push(...decision.problems.map((problem) => ({ path: toJsonPointer([...prefix, ...problem.path]), message: problem.message })));
  });
  if (errors.length > 0) throw validationProblem(errors);
  return signups;
}

export type MessageFactoryOptions = Readonly<{
  source: SignupSource;
  receivedAt: Date;
  newId?: () => string;
}>;

/**
 * Wraps signups for the queue. The idempotency key is the sender's event id when there is one, so a
 * webhook delivered twice carries the same key; otherwise it is the message's own id.
 */
export function toSignupMessages(
  signups: readonly (Signup & { event_id?: string | undefined })[],
  { source, receivedAt, newId = randomUUID }: MessageFactoryOptions,
): SignupMessage[] {
  return signups.map((signup) => {
    const id = newId();
    return {
      schema_version: SIGNUP_MESSAGE_SCHEMA_VERSION,
      id,
      idempotency_key: signup.event_id ? `${source.id}:${signup.event_id}` : id,
      received_at: receivedAt.toISOString(),
      source,
      signup,
    };
  });
}
