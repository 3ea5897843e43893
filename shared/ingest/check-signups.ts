import { type FieldProblem, toFieldProblems, toJsonPointer } from '../http-input/problem-document';
import { FUTURE_EVENT_TOLERANCE_MS, isBeyondFutureTolerance } from '../signup/event-time';
import { applyNamelessPolicy, namelessProblemsOfCandidate, type SourceNamePolicy } from '../signup/nameless-policy';
import { type PlaceholderNameField, type Signup, signupSchema } from '../signup/signup-schema';
import { attributeLimitProblems, attributeLimitProblemsOfCandidate } from './attribute-limit';

/**
 * The ingest's one check of signup candidates, whoever sends them: POST /signups
 * (shared/ingest/signup-batch.ts), source deliveries (shared/ingest/unmappable.ts, html forms included),
 * a redrive of `unmappable` dead letters, and the CSV import (ops/import-csv.ts). Each candidate goes
 * through the canonical schema, then the nameless policy, then BigCommerce's attribute limit.
 *
 * Every bad field is named at once: when the schema refuses a candidate, the nameless policy and the
 * attribute limit still look at it, so `{"email":"not-an-email","first_name":"Ada"}` names `/email` and
 * `/last_name` together. A field is named once (several messages about it are joined), and never with
 * its value: zod's messages and ours carry none.
 */

export type SignupRules = Readonly<{
  /** What a signup without both names becomes (the deployment's, or a source's override and lastNamePolicy placeholder). */
  nameless: SourceNamePolicy;
  /** Custom field names the sync sends to customer attributes: more than 10 in one signup is refused. */
  attributeFields?: ReadonlySet<string>;
  /**
   * POST /signups: when the request was received. An `occurred_at` more than the tolerance after it is a
   * field error (shared/signup/event-time.ts). Source deliveries leave it out: their sender cannot change
   * the data, so a future date is capped at the receipt instead (shared/ingest/ingest-source.ts).
   */
  receivedAt?: Date;
}>;

/** `placeholderNames`: the names the ingest filled in (the queue message marks them; shared/signup/signup-schema.ts). */
export type CheckedSignup = Readonly<{ index: number; signup: Signup; placeholderNames: readonly PlaceholderNameField[] }>;
export type FailedSignup<C> = Readonly<{ index: number; candidate: C; problems: readonly FieldProblem[] }>;
export type CheckedSignups<C> = { good: CheckedSignup[]; failed: FailedSignup<C>[] };

/** The problems of one candidate, paths within it; or its normalised signup. */
export function checkSignup(
  candidate: unknown,
  rules: SignupRules,
): Readonly<{ ok: true; signup: Signup; placeholderNames: readonly PlaceholderNameField[] }> | Readonly<{ ok: false; problems: FieldProblem[] }> {
  const attributeFields = rules.attributeFields ?? new Set<string>();
  const future = futureEventProblems(candidate, rules.receivedAt);
  const result = signupSchema.safeParse(candidate);
  if (!result.success) {
    const problems = toFieldProblems(result.error.issues);
    const named = problems.map((problem) => problem.path);
    const nameless = namelessProblemsOfCandidate(candidate, rules.nameless).map((problem) => ({ path: toJsonPointer(problem.path), message: problem.message }));
    // A custom field the schema refused makes the count uncertain: that field is already named.
    const attributes = named.some((path) => path === '/custom_fields' || path.startsWith('/custom_fields/'))
      ? []
      : attributeLimitProblemsOfCandidate(candidate, attributeFields);
    return { ok: false, problems: oncePerField([...problems, ...nameless, ...attributes, ...future]) };
  }
  const decision = applyNamelessPolicy(result.data, rules.nameless);
  if (!decision.ok)
    return {
      ok: false,
      problems: oncePerField([...decision.problems.map((problem) => ({ path: toJsonPointer(problem.path), message: problem.message })), ...future]),
    };
  const problems = [...attributeLimitProblems(decision.signup, attributeFields), ...future];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, signup: decision.signup, placeholderNames: decision.placeholderNames };
}

const FUTURE_TOLERANCE_MINUTES = FUTURE_EVENT_TOLERANCE_MS / 60_000;

/** `/occurred_at` when it lies more than the tolerance after `receivedAt` (POST /signups only); a date in the future is not clock skew. */
function futureEventProblems(candidate: unknown, receivedAt: Date | undefined): FieldProblem[] {
  if (receivedAt === undefined || typeof candidate !== 'object' || candidate === null) return [];
  const occurredAt = (candidate as Readonly<Record<string, unknown>>)['occurred_at'];
  if (typeof occurredAt !== 'string' || !isBeyondFutureTolerance(occurredAt, receivedAt)) return [];
  return [
    {
      path: '/occurred_at',
      message: `Must not be more than ${FUTURE_TOLERANCE_MINUTES} minutes after the time the signup is received: an event cannot have happened in the future`,
    },
  ];
}

/**
 * Checks every candidate; splits them into good and failed. With `indexed`, problem paths start with
 * the candidate's index (`/1/email`), as a batch's answer names them.
 */
export function checkSignups<C>(candidates: readonly C[], rules: SignupRules, { indexed }: Readonly<{ indexed: boolean }>): CheckedSignups<C> {
  const good: CheckedSignup[] = [];
  const failed: FailedSignup<C>[] = [];
  candidates.forEach((candidate, index) => {
    const checked = checkSignup(candidate, rules);
    if (checked.ok) good.push({ index, signup: checked.signup, placeholderNames: checked.placeholderNames });
    else
      failed.push({
        index,
        candidate,
        problems: indexed
          ? checked.problems.map((problem) => ({ ...problem, path: `/${index}${problem.path === '/' ? '' : problem.path}` }))
          : checked.problems,
      });
  });
  return { good, failed };
}

/** One problem per path, in first-seen order; distinct messages about the same field are joined. */
function oncePerField(problems: readonly FieldProblem[]): FieldProblem[] {
  const byPath = new Map<string, string[]>();
  for (const { path, message } of problems) {
    const messages = byPath.get(path);
    if (!messages) byPath.set(path, [message]);
    else if (!messages.includes(message)) messages.push(message);
  }
  return [...byPath].map(([path, messages]) => ({ path, message: messages.join('; ') }));
}
