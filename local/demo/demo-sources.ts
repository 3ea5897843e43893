import type { SourceConfigInput, SourceKind } from '../../shared/sources/source-config';
import type { LocalEndpoints } from '../local-mode';

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
/**
 * The demo webhooks' route token: their URLs are /sources/demo-<kind>-<this>, as a deployed webhook's are
 * /sources/<id>-<its routeToken> (docs/sources.md). Published, so it hides nothing here.
 */
export const DEMO_ROUTE_TOKEN = 'localdemoroutenotsecret';
/** The html-form demo's CAPTCHA secret, checked by local mode's loopback siteverify stand-in (local/captcha/siteverify-stand-in.ts). */
export const DEMO_CAPTCHA_SECRET = 'local-demo-captcha-secret-not-secret';

/** The origins a browser on the default port may post the demo form from (plus local mode's own). */
const DEFAULT_ORIGINS = ['http://127.0.0.1:3000', 'http://localhost:3000'];

/**
 * The demo sources; `origin` is local mode's own (http://127.0.0.1:<port>), known once it listens, and
 * `local` its loopback stand-ins: the form's Turnstile CAPTCHA is checked by the siteverify stand-in (without
 * `local`, the list serves for ids and secrets only).
 */
export function demoSources(origin: string, local?: LocalEndpoints): SourceConfigInput[] {
  const routeToken = DEMO_ROUTE_TOKEN;
  return [
    { id: demoSourceId('standard-webhooks'), kind: 'standard-webhooks', routeToken },
    {
      id: demoSourceId('html-form'),
      kind: 'html-form',
      allowedOrigins: [...new Set([origin, ...DEFAULT_ORIGINS])],
      thankYouUrl: `${origin}${FORM_THANKS_PATH}`,
      errorUrl: `${origin}${FORM_ERROR_PATH}`,
      honeypotField: 'website',
      captcha: { provider: 'turnstile', ...(local ? { verifyUrl: local.captchaVerifyUrl } : {}) },
    },
    { id: demoSourceId('mailchimp'), kind: 'mailchimp', routeToken },
    { id: demoSourceId('hubspot'), kind: 'hubspot', routeToken },
    { id: demoSourceId('typeform'), kind: 'typeform', routeToken, fieldMap: { first_name: 'first_name', last_name: 'last_name' } },
    { id: demoSourceId('webflow'), kind: 'webflow', routeToken },
    { id: demoSourceId('tally'), kind: 'tally', routeToken },
    { id: demoSourceId('kit'), kind: 'kit', routeToken },
    { id: demoSourceId('shopify'), kind: 'shopify', routeToken },
    { id: demoSourceId('jotform'), kind: 'jotform', routeToken },
    { id: demoSourceId('activecampaign'), kind: 'activecampaign', routeToken },
  ];
}

/** The sources secret's content for the demo sources (sourceId -> secret; the form's is its CAPTCHA secret). */
export function demoSourceSecrets(): Record<string, unknown> {
  const secrets: Record<string, unknown> = {};
  for (const source of demoSources('http://127.0.0.1:3000')) {
    if (source.kind === 'html-form') secrets[source.id] = { captchaSecret: DEMO_CAPTCHA_SECRET };
    else if (source.kind === 'standard-webhooks') secrets[source.id] = DEMO_STANDARD_WEBHOOKS_SECRET;
    else if (source.kind === 'mailchimp' || source.kind === 'jotform' || source.kind === 'activecampaign') secrets[source.id] = DEMO_URL_TOKEN;
    else secrets[source.id] = DEMO_SIGNING_SECRET;
  }
  return secrets;
}

/** Where the banner points for the examples and their secrets. */
export const DEMO_SOURCES_NOTE = 'local/demo/demo-sources.ts; examples in docs/sources.md';
