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

/** Splits the failed signups into those the source ignores as incomplete and those that still fail. */
export function splitIncomplete(
  source: Pick<SourceConfig, 'incomplete'>,
  failed: readonly FailedSignup[],
): { incomplete: FailedSignup[]; failed: FailedSignup[] } {
  if (source.incomplete !== 'ignore') return { incomplete: [], failed: [...failed] };
  return { incomplete: failed.filter((failure) => failure.incomplete), failed: failed.filter((failure) => !failure.incomplete) };
}
