import type { SourceConfigInput, SourceKind } from '../../shared/sources/source-config';

/**
 * The sources `npm start` serves: one of every sender kind, with fixed secrets, so every example in
 * docs/examples/sources.json works against local mode as written. Separate from cdk.json's `sources`
 * (the production list, whose secrets live in Secrets Manager). The secrets only guard a loopback
 * port and are published in the docs: never reuse them anywhere else.
 */

/** The id of the demo source of `kind`. */
export const demoSourceId = (kind: SourceKind): string => `demo-${kind}`;

/** Where the html-form source sends the browser (served by local mode, local/demo/form-page.ts). */
export const FORM_THANKS_PATH = '/_local/form/thanks';
export const FORM_ERROR_PATH = '/_local/form/error';

/** The signing secret of the signed kinds and the URL token of the token kinds (fixed, not secret). */
export const DEMO_SIGNING_SECRET = 'local-demo-signing-secret-not-secret';
export const DEMO_URL_TOKEN = 'local-demo-url-token-not-secret';
export const DEMO_STANDARD_WEBHOOKS_SECRET = `whsec_${Buffer.from('signup-sync local demo source, not secret').toString('base64')}`;

/** The origins a browser on the default port may post the demo form from (plus local mode's own). */
const DEFAULT_ORIGINS = ['http://127.0.0.1:3000', 'http://localhost:3000'];

/** The demo sources; `origin` is local mode's own (http://127.0.0.1:<port>), known once it listens. */
export function demoSources(origin: string): SourceConfigInput[] {
  return [
    { id: demoSourceId('standard-webhooks'), kind: 'standard-webhooks' },
    {
      id: demoSourceId('html-form'),
      kind: 'html-form',
      allowedOrigins: [...new Set([origin, ...DEFAULT_ORIGINS])],
      thankYouUrl: `${origin}${FORM_THANKS_PATH}`,
      errorUrl: `${origin}${FORM_ERROR_PATH}`,
      honeypotField: 'website',
    },
    { id: demoSourceId('mailchimp'), kind: 'mailchimp' },
    { id: demoSourceId('hubspot'), kind: 'hubspot' },
    { id: demoSourceId('typeform'), kind: 'typeform', fieldMap: { first_name: 'first_name', last_name: 'last_name' } },
    { id: demoSourceId('webflow'), kind: 'webflow' },
    { id: demoSourceId('tally'), kind: 'tally' },
    { id: demoSourceId('kit'), kind: 'kit' },
    { id: demoSourceId('shopify'), kind: 'shopify' },
    { id: demoSourceId('jotform'), kind: 'jotform' },
    { id: demoSourceId('activecampaign'), kind: 'activecampaign' },
  ];
}

/** The sources secret's content for the demo sources (sourceId -> secret; html-form has none). */
export function demoSourceSecrets(): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const source of demoSources('http://127.0.0.1:3000')) {
    if (source.kind === 'html-form') continue;
    if (source.kind === 'standard-webhooks') secrets[source.id] = DEMO_STANDARD_WEBHOOKS_SECRET;
    else if (source.kind === 'mailchimp' || source.kind === 'jotform' || source.kind === 'activecampaign') secrets[source.id] = DEMO_URL_TOKEN;
    else secrets[source.id] = DEMO_SIGNING_SECRET;
  }
  return secrets;
}

/** Where the banner points for the examples and their secrets. */
export const DEMO_SOURCES_NOTE = 'local/demo/demo-sources.ts; examples in docs/sources.md';
