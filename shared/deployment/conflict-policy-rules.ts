import { parseIngestSources } from '../ingest/ingest-sources';
import type { NamelessMode, PlaceholderNames } from '../signup/nameless-policy';
import { adapterFor } from '../sources/adapters';
import { MAX_CONCURRENT_CUSTOMER_PUTS } from '../sync/safe-update';

/**
 * Synth-time refusals for `conflictPolicy: "update"` (docs/sync-semantics.md#conflict-policy). An update
 * overwrites an existing customer's name, company and phone with what a request says, so:
 * - every source must prove who sent the request: signed, or carrying a secret token the sender keeps.
 *   A kind whose secret is optional is not such a source: html-form's token, when set, is published in
 *   the page, so anyone could post someone else's email with new data. (The policy is one for the whole
 *   deployment: a signup message does not carry a per-source policy.)
 * - BigCommerce allows 3 concurrent PUT /v3/customers; each sync invocation sends one request at a time,
 *   so maxConcurrency (concurrent invocations) must not exceed 3.
 * Returns `signupSync.…` problem lines, empty when the settings are safe. Expects sources that parse.
 */
export function conflictPolicyProblems(config: Readonly<{ conflictPolicy: 'skip' | 'update'; maxConcurrency: number; sources: readonly unknown[] }>): string[] {
  if (config.conflictPolicy !== 'update') return [];
  const problems: string[] = [];
  parseIngestSources(config.sources).forEach((source, index) => {
    if (adapterFor(source).secret === 'required') return;
    problems.push(
      `signupSync.sources[${index}]: conflictPolicy "update" is refused for source "${source.id}": its ${source.kind} requests are neither signed nor ` +
        'authenticated by a secret token (a form token is published in the page), so anyone could overwrite an existing customer. ' +
        'Use conflictPolicy "skip", or take this source out of this deployment',
    );
  });
  if (config.maxConcurrency > MAX_CONCURRENT_CUSTOMER_PUTS) {
    problems.push(
      `signupSync.maxConcurrency: at most ${MAX_CONCURRENT_CUSTOMER_PUTS} with conflictPolicy "update" (it is ${config.maxConcurrency}): ` +
        `BigCommerce allows ${MAX_CONCURRENT_CUSTOMER_PUTS} concurrent PUT /v3/customers and each sync invocation sends one at a time`,
    );
  }
  return problems;
}

/**
 * Synth-time refusals for placeholder names (docs/subscribers.md, "Placeholder names"): a
 * `placeholderNames` that no signup can ever get contradicts the `nameless` policy it sits beside. The
 * operator wrote down names for nameless signups, yet the policy turns those signups into subscribers
 * or refuses them, so the names would silently do nothing:
 * - a source's own `placeholderNames` while its `nameless` (its own, else the global one) is not `placeholder`;
 * - the global `placeholderNames` while neither the global `nameless` (POST /signups and every source
 *   without its own) nor any source that inherits them (`nameless: "placeholder"` without its own names)
 *   is `placeholder`.
 * Returns `signupSync.…` problem lines, empty when the settings agree. Expects sources that parse.
 */
export function placeholderNameProblems(
  config: Readonly<{ nameless: NamelessMode; placeholderNames?: PlaceholderNames | undefined; sources: readonly unknown[] }>,
): string[] {
  const problems: string[] = [];
  const sources = parseIngestSources(config.sources);
  sources.forEach((source, index) => {
    const nameless = source.nameless ?? config.nameless;
    if (source.placeholderNames === undefined || nameless === 'placeholder') return;
    problems.push(
      `signupSync.sources[${index}].placeholderNames: source "${source.id}" sets placeholderNames, but its nameless policy is "${nameless}" ` +
        `(${source.nameless === undefined ? 'the global nameless' : 'its own nameless'}), so no signup of it ever gets them. ` +
        'Set "nameless": "placeholder" on the source, or remove its placeholderNames',
    );
  });
  if (config.placeholderNames !== undefined) {
    const inherited = sources.some((source) => source.nameless === 'placeholder' && source.placeholderNames === undefined);
    if (config.nameless !== 'placeholder' && !inherited) {
      problems.push(
        `signupSync.placeholderNames: set, but nameless is "${config.nameless}" and no source with "nameless": "placeholder" uses the global names, ` +
          'so no signup ever gets them. Set "nameless": "placeholder", or remove placeholderNames',
      );
    }
  }
  return problems;
}
