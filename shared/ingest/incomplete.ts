import { signupSchema } from '../signup/signup-schema';
import type { SourceConfig } from '../sources/source-config';
import type { FailedSignup } from './unmappable';

/**
 * Submissions that carry too little to store (docs/sources.md, "Incomplete submissions"): no email, or
 * no names and no marketing consent, so they can become neither a customer nor a subscriber. A survey
 * (an email, maybe a first name, no opt-in) is the usual case. By default they are `unmappable` dead
 * letters like any signup that fails (and the dead-letter alarm fires); a source with
 * `incomplete: "ignore"` answers 2xx for them, queues and dead-letters nothing, and counts them.
 */

/**
 * On a 2xx whose delivery held incomplete signups that the source ignores: how many, for the
 * SignupsIncomplete metric (shared/observability/ingest-metrics.ts). Harmless for senders, who only read the status.
 */
export const INCOMPLETE_COUNT_HEADER = 'signups-incomplete';

/** On a 200 for an authentic delivery that is not a signup: how many events it held, for the EventsIgnored metric. */
export const IGNORED_EVENTS_HEADER = 'events-ignored';

/** The reason logged (with the field paths) for ignored incomplete signups. */
export const INCOMPLETE_REASON = 'too little to store (no email, or no names and no marketing consent); the source ignores incomplete submissions';

const isBlank = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
const NAME_FIELD = /\/(first_name|last_name)$/;

/**
 * Whether a failed signup carries too little to store, rather than something wrong: no email at all, or
 * valid in every field and refused only by the nameless policy (no names and no marketing consent). An
 * email that is not one, a name over BigCommerce's limit or too many attribute fields are wrong, not
 * missing: those still fail.
 */
export function isIncomplete(failure: Pick<FailedSignup, 'candidate' | 'problems'>): boolean {
  const { candidate } = failure;
  if (candidate['opt_out'] === true) return false;
  if (isBlank(candidate['email'])) return true;
  return failure.problems.every((problem) => NAME_FIELD.test(problem.path)) && signupSchema.safeParse(candidate).success;
}

/** Splits the failed signups into those the source ignores as incomplete and those that still fail. */
export function splitIncomplete(
  source: Pick<SourceConfig, 'incomplete'>,
  failed: readonly FailedSignup[],
): { incomplete: FailedSignup[]; failed: FailedSignup[] } {
  if (source.incomplete !== 'ignore') return { incomplete: [], failed: [...failed] };
  return { incomplete: failed.filter(isIncomplete), failed: failed.filter((failure) => !isIncomplete(failure)) };
}
