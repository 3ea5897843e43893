import { withAnySecret } from '../auth';
import { SourceConfigError } from '../errors';
import type { AdapterContext, AdapterDecision, RawRequest, SourceAdapter } from '../source-adapter';
import type { SourceConfig, SourceKind } from '../source-config';
import { activeCampaignAdapter } from './activecampaign';
import { htmlFormAdapter } from './html-form';
import { hubspotAdapter } from './hubspot';
import { jotformAdapter } from './jotform';
import { kitAdapter } from './kit';
import { mailchimpAdapter } from './mailchimp';
import { shopifyAdapter } from './shopify';
import { standardWebhooksAdapter } from './standard-webhooks';
import { tallyAdapter } from './tally';
import { typeformAdapter } from './typeform';
import { webflowAdapter } from './webflow';

/** kind -> adapter. Typed so that a new kind in SOURCE_KINDS without an adapter fails to compile. */
export const sourceAdapters: Readonly<Record<SourceKind, SourceAdapter>> = {
  'standard-webhooks': standardWebhooksAdapter,
  'html-form': htmlFormAdapter,
  mailchimp: mailchimpAdapter,
  hubspot: hubspotAdapter,
  typeform: typeformAdapter,
  webflow: webflowAdapter,
  tally: tallyAdapter,
  kit: kitAdapter,
  shopify: shopifyAdapter,
  jotform: jotformAdapter,
  activecampaign: activeCampaignAdapter,
};

export function adapterFor(source: Pick<SourceConfig, 'kind'>): SourceAdapter {
  return sourceAdapters[source.kind];
}

/**
 * One source's entry of the sources secret, checked: its secrets newest first (several while a secret
 * rotates; none for an html-form without a form token), and the CAPTCHA provider's secret of an
 * html-form source that has `captcha` configured.
 */
export type SourceSecret = Readonly<{ values: readonly string[]; captchaSecret?: string }>;

/** Secrets accepted at once per source: the current one and those still in use during a rotation. */
export const MAX_SECRETS_PER_SOURCE = 5;

/**
 * Runs the source's adapter with each of its secrets (shared/sources/auth.ts `withAnySecret`: every one
 * tried, the first that authenticates wins). Throws only SourceError subclasses.
 */
export function decideSource(request: RawRequest, context: Omit<AdapterContext, 'secret'> & Readonly<{ secret: SourceSecret | string }>): AdapterDecision {
  const adapter = adapterFor(context.source);
  const values = typeof context.secret === 'string' ? [context.secret] : context.secret.values;
  return withAnySecret(values, (secret) => adapter.decide(request, { ...context, secret }));
}

const ENTRY_SHAPE = 'the secret must be a string, a list of strings (newest first), or { "secret": ..., "captchaSecret": "..." }';

/** An entry's shape: `"s"`, `["new", "old"]`, or `{ secret?: "s" | [...], captchaSecret?: "c" }`. Undefined when malformed. */
function entryParts(value: unknown): { values: string[]; captchaSecret?: unknown } | undefined {
  const asList = (item: unknown): string[] | undefined =>
    item === undefined
      ? []
      : typeof item === 'string'
        ? [item]
        : Array.isArray(item) && item.every((each) => typeof each === 'string')
          ? [...(item as string[])]
          : undefined;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { secret, captchaSecret, ...rest } = value as Record<string, unknown>;
    const values = asList(secret);
    return values === undefined || Object.keys(rest).length > 0 ? undefined : { values, captchaSecret };
  }
  const values = asList(value);
  return values === undefined ? undefined : { values };
}

/**
 * Cold-start check of the sources secret (JSON object sourceId -> entry) against the configured
 * sources: every source that needs a secret has a usable one, each listed secret is usable, and an
 * html-form source with `captcha` has its provider's secret. Lists every problem at once, naming source
 * ids only, never secret values. Returns the checked entry per source id.
 */
export function checkSourceSecrets(sources: readonly SourceConfig[], secrets: unknown): ReadonlyMap<string, SourceSecret> {
  const table = typeof secrets === 'object' && secrets !== null && !Array.isArray(secrets) ? (secrets as Record<string, unknown>) : undefined;
  if (table === undefined) throw new SourceConfigError('The sources secret must be a JSON object of source id -> secret');
  const issues: string[] = [];
  const bySource = new Map<string, SourceSecret>();
  for (const source of sources) {
    const adapter = adapterFor(source);
    const parts = entryParts(Object.hasOwn(table, source.id) ? table[source.id] : undefined);
    if (parts === undefined) {
      issues.push(`${source.id}: ${ENTRY_SHAPE}`);
      continue;
    }
    const values = parts.values.filter((value) => value !== '');
    const problems: string[] = [];
    if (values.length === 0 && adapter.secret === 'required') problems.push(`no secret (a ${source.kind} source needs one)`);
    if (values.length > MAX_SECRETS_PER_SOURCE) problems.push(`at most ${MAX_SECRETS_PER_SOURCE} secrets at once (remove the retired ones)`);
    values.forEach((value, index) => {
      try {
        adapter.checkSecret(value, source);
      } catch (error) {
        const where = values.length > 1 ? `secret [${index}]: ` : '';
        problems.push(`${where}${error instanceof SourceConfigError ? error.message : 'unusable secret'}`);
      }
    });
    const captchaSecret = parts.captchaSecret;
    const wantsCaptcha = source.kind === 'html-form' && source.captcha !== undefined && source.captcha !== false;
    if (captchaSecret !== undefined && (typeof captchaSecret !== 'string' || captchaSecret.trim() === ''))
      problems.push('captchaSecret must be a non-empty string');
    else if (wantsCaptcha && captchaSecret === undefined)
      problems.push("no captchaSecret (the source has captcha configured: put the provider's secret key there)");
    if (problems.length > 0) {
      issues.push(...problems.map((problem) => `${source.id}: ${problem}`));
      continue;
    }
    bySource.set(source.id, { values, ...(typeof captchaSecret === 'string' ? { captchaSecret } : {}) });
  }
  if (issues.length > 0) throw new SourceConfigError('Invalid sources secret:', { issues });
  return bySource;
}
