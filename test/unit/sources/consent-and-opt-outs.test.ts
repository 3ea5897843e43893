import { signupSchema } from '../../../shared/signup/signup-schema';
import { decide, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

/**
 * The kinds that take consent from the data itself (docs/subscribers.md, "What senders mean"):
 * Standard Webhooks carries canonical signups (consent and `{ email, opt_out: true }` as sent), html-form
 * reads the field mapped to `consent.marketing`. The event-typed kinds are covered in their own tests.
 */

describe('standard-webhooks: consent and opt-outs as sent', () => {
  const source = makeSource('standard-webhooks', { lastNamePolicy: { placeholder: '-' } });
  const signed = (body: string) =>
    makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('standard-webhooks', Buffer.from(body)) } });

  it('passes an opt-out through without the last-name policy adding a name, and it validates', () => {
    const [first] = signupsOf(decide(signed(json({ email: 'gone@example.com', opt_out: true })), source, SECRETS.standardWebhooks));
    expect(first?.signup).toEqual({ email: 'gone@example.com', opt_out: true, event_id: 'msg_test_1' });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('keeps the consent the body gives, with or without names', () => {
    const body = json([
      { email: 'news@example.com', consent: { marketing: true } },
      { email: 'ada@example.com', first_name: 'Ada', last_name: 'L', consent: { marketing: false } },
    ]);
    const signups = signupsOf(decide(signed(body), source, SECRETS.standardWebhooks)).map(({ signup }) => signup);
    expect(signups.map((signup) => signup.consent)).toEqual([{ marketing: true }, { marketing: false }]);
    // The source's last-name placeholder still applies; without a first name the ingest's nameless policy decides.
    expect(signups[0]).not.toHaveProperty('first_name');
    expect(signups[0]).toMatchObject({ last_name: '-' });
  });
});

describe('html-form: consent from the mapped field', () => {
  const ORIGIN = 'https://www.example.com';
  const source = makeSource('html-form', {
    allowedOrigins: [ORIGIN],
    thankYouUrl: 'https://www.example.com/thanks',
    errorUrl: 'https://www.example.com/oops',
    fieldMap: { newsletter: 'consent.marketing' },
  });
  const post = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN } });

  it.each([
    ['on', true],
    ['no', false],
  ])('reads newsletter=%s as marketing consent %s; an email-only box validates as a nameless signup', (value, consent) => {
    const [first] = signupsOf(decide(post(`email=box%40example.com&newsletter=${value}`), source, ''));
    expect(first?.signup).toMatchObject({ email: 'box@example.com', consent: { marketing: consent } });
    expect(first?.signup.first_name).toBeUndefined();
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('leaves consent unknown (absent) when the box is not in the post', () => {
    const [first] = signupsOf(decide(post('email=box%40example.com&name=Ada+Lovelace'), source, ''));
    expect(first?.signup.consent).toBeUndefined();
  });
});
