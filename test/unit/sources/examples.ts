/**
 * The senders' documented example payloads, copied from their docs (or a cited 2nd source). Where a
 * sender's doc elides a value with "…", a plausible value is filled in and marked `filled in`.
 */

/** Mailchimp: values from Mailchimp's guide, urlencoded as Mailchimp posts them. */
export const MAILCHIMP_SUBSCRIBE = [
  'type=subscribe',
  'fired_at=2009-03-26+21%3A35%3A57',
  'data%5Bid%5D=8a25ff1d98',
  'data%5Blist_id%5D=a6b5da1054',
  'data%5Bemail%5D=api%40mailchimp.com',
  'data%5Bemail_type%5D=html',
  'data%5Bmerges%5D%5BEMAIL%5D=api%40mailchimp.com',
  'data%5Bmerges%5D%5BFNAME%5D=Mailchimp',
  'data%5Bmerges%5D%5BLNAME%5D=API',
  'data%5Bmerges%5D%5BINTERESTS%5D=Group1%2CGroup2',
  'data%5Bip_opt%5D=10.20.10.30',
  'data%5Bip_signup%5D=10.20.10.30',
].join('&');

/** Typeform's trimmed official example ("…" title filled in). */
export const TYPEFORM_FORM_RESPONSE = {
  event_id: 'LtWXD3crgy',
  event_type: 'form_response',
  form_response: {
    form_id: 'lT4Z3j',
    token: 'a3a12ec67a1365927098a606107fac15',
    submitted_at: '2018-01-18T18:17:02Z',
    landed_at: '2018-01-18T18:07:02Z',
    hidden: { user_id: 'abc123456' },
    calculated: { score: 9 },
    definition: { id: 'lT4Z3j', fields: [{ id: 'SMEUb7VJz92Q', type: 'email', ref: 'readable_ref_email', title: 'Your email' }] },
    answers: [
      { type: 'email', email: 'laura@example.com', field: { id: 'SMEUb7VJz92Q', type: 'email', ref: 'readable_ref_email' } },
      { type: 'text', text: 'Laura', field: { id: 'JwWggjAKtOkA', type: 'short_text', ref: 'readable_ref_short_text' } },
    ],
  },
};

/** Webflow's example (fieldElementId, submittedAt, formId filled in). */
export const WEBFLOW_FORM_SUBMISSION = {
  triggerType: 'form_submission',
  payload: {
    name: 'Contact Us',
    siteId: '65427cf400e02b306eaa049c',
    data: { 'First Name': 'Zaphod', 'Last Name': 'Beeblebrox', email: 'zaphod@heartofgold.ai', 'Phone Number': 15550000000 },
    schema: [{ fieldName: 'First Name', fieldType: 'FormTextInput', fieldElementId: '285042f7-0000-0000-0000-000000000000' }],
    submittedAt: '2022-09-14T12:35:16.117Z',
    formId: '65429eadebe8a9f3a30f62d0',
  },
};

/** Tally's shape (2nd source; "…" ids filled in). */
export const TALLY_FORM_RESPONSE = {
  eventId: 'a4cb511e-d513-4fa5-baee-b815d718dfd1',
  eventType: 'FORM_RESPONSE',
  createdAt: '2023-06-28T15:00:21.889Z',
  data: {
    responseId: '2wgx4n',
    submissionId: '2wgx4n',
    respondentId: 'dwQKYm',
    formId: 'VwbNEw',
    formName: 'Webhook payload',
    createdAt: '2023-06-28T15:00:21.000Z',
    fields: [
      { key: 'question_xxx', label: 'Email', type: 'INPUT_EMAIL', value: 'john@company.com' },
      { key: 'question_yyy', label: 'Full Name', type: 'INPUT_TEXT', value: 'John Doe' },
      { key: 'question_zzz', type: 'INPUT_PHONE_NUMBER', value: '+1234567890' },
    ],
  },
};

/** Kit's delivery-format example (created_at filled in). */
export const KIT_DELIVERY = {
  delivery_id: 123456,
  events: [
    {
      id: '9c2e1f3a-6b7d-4e8f-a1b2-c3d4e5f60718',
      type: 'subscriber.created',
      created: '2026-07-29T14:32:10Z',
      data: {
        subscriber: {
          id: 987654,
          first_name: 'Ada',
          email_address: 'ada@example.com',
          state: 'active',
          created_at: '2026-07-29T14:32:09Z',
          fields: { company: 'Kit' },
        },
      },
    },
  ],
};

/** Jotform's rawRequest example. */
export const JOTFORM_RAW_REQUEST = { q3_name: { first: 'Kin', last: 'Lane' }, q4_email: 'kin@example.com' };

/** ActiveCampaign example (2nd source; the phone "…" filled in). */
export const ACTIVECAMPAIGN_SUBSCRIBE = 'type=subscribe&contact[id]=1024&contact[email]=ana@example.com&contact[first_name]=Ana&contact[phone]=%2B15550100';

/** HubSpot's official v1 validation example body (a Webhooks API event). */
export const HUBSPOT_WEBHOOKS_API_EVENT =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';

/** The customer fields Shopify sends (values made up). */
export const SHOPIFY_CUSTOMER = {
  id: 706405506930370000,
  email: 'bob@biller.com',
  created_at: '2026-07-29T10:32:10-04:00',
  first_name: 'Bob',
  last_name: 'Biller',
  phone: '+13125551212',
  default_address: {
    first_name: 'Bob',
    last_name: 'Biller',
    company: 'Biller Inc',
    address1: '151 O Connor Street',
    address2: 'Suite 400',
    city: 'Ottawa',
    province: 'Ontario',
    province_code: 'ON',
    zip: 'K2P 2L8',
    country_code: 'CA',
    phone: '555-625-1199',
  },
  addresses: [],
};
