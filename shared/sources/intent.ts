import { withMarketingConsent } from './field-map';
import type { SourceSignup } from './source-adapter';
import type { SourceConfig } from './source-config';

/**
 * A source's `intent` applied to the signups its adapter found (docs/sources.md, "Intent"). With
 * `"newsletter"` the form itself is the opt-in (an email-only newsletter box): every submission carries
 * marketing consent, unless the submission itself says no (a mapped field answered no: an explicit
 * refusal is never overruled). Opt-outs stay opt-outs. With the default `"signup"` nothing changes.
 * Run by the ingest and by a redrive of an unmappable letter alike.
 */
export function withSourceIntent(source: Pick<SourceConfig, 'intent'>, signups: readonly SourceSignup[]): readonly SourceSignup[] {
  if (source.intent !== 'newsletter') return signups;
  return signups.map((item) => (item.signup['opt_out'] === true ? item : { ...item, signup: withMarketingConsent(item.signup) }));
}
