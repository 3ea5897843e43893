import { toFieldProblems } from '../ingest/signup-batch';
import { signupMessageSchema, type SignupMessage } from '../signup/signup-schema';

export type RejectionCode = 'undecodable' | 'invalid-message' | 'bigcommerce-rejected' | 'update-rejected';

export type Rejection = Readonly<{ code: RejectionCode; httpStatus?: number; detail: string }>;

export type DecodeResult = { ok: true; message: SignupMessage } | { ok: false; rejection: Rejection };

/**
 * Reads one queue message body. A body that is not JSON, or not a signup message of a version we know,
 * can never succeed on retry, so it is rejected with the failing fields (paths and rules, no values).
 */
export function decodeSignupMessage(body: string): DecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, rejection: { code: 'undecodable', detail: 'The message body is not valid JSON' } };
  }
  const result = signupMessageSchema.safeParse(json);
  if (!result.success) {
    const fields = toFieldProblems(result.error.issues).map((problem) => `${problem.path}: ${problem.message}`);
    return { ok: false, rejection: { code: 'invalid-message', detail: fields.join('; ').slice(0, 1000) } };
  }
  return { ok: true, message: result.data };
}
