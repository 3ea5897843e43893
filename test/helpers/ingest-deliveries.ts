import type { SourceKind } from '../../shared/sources/source-config';
import {
  ACTIVECAMPAIGN_SUBSCRIBE,
  JOTFORM_RAW_REQUEST,
  KIT_DELIVERY,
  MAILCHIMP_SUBSCRIBE,
  SHOPIFY_CUSTOMER,
  TALLY_FORM_RESPONSE,
  TYPEFORM_FORM_RESPONSE,
  WEBFLOW_FORM_SUBMISSION,
} from '../unit/sources/examples';
import { SECRETS } from './ingest';

/** One documented example delivery per source kind (shared by the ingest handler tests and the fuzz test). */

export const BOUNDARY = '------------------------d74496d66958873e';
export const multipart = (fields: Record<string, string>) =>
  `${Object.entries(fields)
    .map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('')}--${BOUNDARY}--\r\n`;

export type Delivery = Readonly<{ body: string; contentType: string; query?: Record<string, string>; headers?: Record<string, string> }>;

/** A documented example delivery per kind, authenticated the way that sender does it. */
export const DELIVERIES: Readonly<Record<SourceKind, Delivery>> = {
  'standard-webhooks': { body: JSON.stringify({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' }), contentType: 'application/json' },
  'html-form': { body: 'email=grace%40example.com&full_name=Grace+Hopper&newsletter=on&website=', contentType: 'application/x-www-form-urlencoded' },
  mailchimp: { body: MAILCHIMP_SUBSCRIBE, contentType: 'application/x-www-form-urlencoded', query: { token: SECRETS.token } },
  hubspot: {
    body: JSON.stringify({ vid: 51, properties: { email: { value: 'hub@example.com' }, firstname: { value: 'Hub' }, lastname: { value: 'Spot' } } }),
    contentType: 'application/json',
  },
  typeform: { body: JSON.stringify(TYPEFORM_FORM_RESPONSE), contentType: 'application/json' },
  webflow: { body: JSON.stringify(WEBFLOW_FORM_SUBMISSION), contentType: 'application/json' },
  tally: { body: JSON.stringify(TALLY_FORM_RESPONSE), contentType: 'application/json' },
  kit: { body: JSON.stringify(KIT_DELIVERY), contentType: 'application/json' },
  shopify: { body: JSON.stringify(SHOPIFY_CUSTOMER), contentType: 'application/json' },
  jotform: {
    body: multipart({ formID: '231234567890', submissionID: '5812345678901234567', type: 'WEB', rawRequest: JSON.stringify(JOTFORM_RAW_REQUEST) }),
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
    query: { token: SECRETS.token },
  },
  activecampaign: { body: ACTIVECAMPAIGN_SUBSCRIBE, contentType: 'application/x-www-form-urlencoded', query: { token: SECRETS.token } },
};
