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

/** Runs the source's adapter. Throws only SourceError subclasses. */
export function decideSource(request: RawRequest, context: AdapterContext): AdapterDecision {
  return adapterFor(context.source).decide(request, context);
}

/**
 * Cold-start check of the sources secret (JSON object sourceId -> secret) against the configured
 * sources: every source that needs a secret has a usable one. Lists every problem at once, naming
 * source ids only, never secret values. Returns the secret per source id ('' when none).
 */
export function checkSourceSecrets(sources: readonly SourceConfig[], secrets: unknown): ReadonlyMap<string, string> {
  const table = typeof secrets === 'object' && secrets !== null && !Array.isArray(secrets) ? (secrets as Record<string, unknown>) : undefined;
  if (table === undefined) throw new SourceConfigError('The sources secret must be a JSON object of source id -> secret');
  const issues: string[] = [];
  const bySource = new Map<string, string>();
  for (const source of sources) {
    const adapter = adapterFor(source);
    const value = Object.hasOwn(table, source.id) ? table[source.id] : undefined;
    if (value !== undefined && typeof value !== 'string') {
      issues.push(`${source.id}: the secret must be a string`);
      continue;
    }
    if (value === undefined || value === '') {
      if (adapter.secret === 'required') issues.push(`${source.id}: no secret (a ${source.kind} source needs one)`);
      bySource.set(source.id, '');
      continue;
    }
    try {
      adapter.checkSecret(value);
      bySource.set(source.id, value);
    } catch (error) {
      issues.push(`${source.id}: ${error instanceof SourceConfigError ? error.message : 'unusable secret'}`);
    }
  }
  if (issues.length > 0) throw new SourceConfigError('Invalid sources secret:', { issues });
  return bySource;
}
