import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import type { SignupMessage } from '../../../shared/signup/signup-schema';
import type { SourceConfigInput } from '../../../shared/sources/source-config';
import { anHttpEvent, anIngestHandler, ERROR_URL, FORM_ORIGIN, fakeQueue, publicUrlOf, SECRETS, senderHeaders, THANK_YOU_URL } from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';

/**
 * What the ingest puts in a message for consent evidence (docs/privacy.md): an html form's page (Referer
 * without its query, else Origin), a webhook sender's form id, the client IP only where the source records
 * it, the wording version and whether the source asks for double opt-in (by its intent).
 */

const form = (overrides: Partial<SourceConfigInput> = {}): SourceConfigInput =>
  ({
    id: 'form',
    kind: 'html-form',
    allowedOrigins: [FORM_ORIGIN],
    thankYouUrl: THANK_YOU_URL,
    errorUrl: ERROR_URL,
    captcha: false,
    captchaReason: 'evidence under test',
    fieldMap: { newsletter: 'consent.marketing' },
    ...overrides,
  }) as SourceConfigInput;

async function post(source: SourceConfigInput, headers: Record<string, string>, sourceIp = '203.0.113.77'): Promise<SignupMessage> {
  const { queue, messages } = fakeQueue();
  const sources = parseIngestSources([source]);
  const handler = anIngestHandler({ queue, sources, secretJson: JSON.stringify({ api: SECRETS.api }) });
  const answer = await handler(
    anHttpEvent('/sources/form', {
      body: 'email=ada%40example.com&first_name=Ada&last_name=Lovelace&newsletter=on',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      sourceIp,
    }),
  );
  expect(answer.statusCode).toBe(303);
  expect(messages).toHaveLength(1);
  return messages[0] as SignupMessage;
}

describe('evidence in the queue message', () => {
  it("keeps an html form's page from its Referer, without the query string or fragment, and no IP by default", async () => {
    const message = await post(form(), { origin: FORM_ORIGIN, referer: `${FORM_ORIGIN}/join/newsletter?email=ada%40example.com#top` });
    expect(message.evidence).toEqual({ page: `${FORM_ORIGIN}/join/newsletter` });
    expect(JSON.stringify(message.evidence)).not.toContain('ada');
  });

  it('falls back to the Origin, and keeps the client IP API Gateway saw only with recordClientIp (not a header the client writes)', async () => {
    const message = await post(form({ recordClientIp: true }), { origin: FORM_ORIGIN, 'x-forwarded-for': '198.51.100.1' });
    expect(message.evidence).toEqual({ page: FORM_ORIGIN, ip: '203.0.113.77' });
  });

  it("marks the source's double opt-in by intent: a newsletter box waits with everything, a sign-up form with the subscriber only", async () => {
    const doubleOptIn = { from: 'news@shop.example', subject: 'Confirm' };
    const box = await post(form({ intent: 'newsletter', consentVersion: 'v3', doubleOptIn }), { origin: FORM_ORIGIN });
    expect(box.source).toEqual({ id: 'form', kind: 'html-form', consent_version: 'v3', double_opt_in: 'everything' });
    const signupForm = await post(form({ consentVersion: 'v3', doubleOptIn }), { origin: FORM_ORIGIN });
    expect(signupForm.source).toMatchObject({ double_opt_in: 'subscriber' });
    expect((await post(form(), { origin: FORM_ORIGIN })).source).not.toHaveProperty('double_opt_in');
  });

  it("keeps a webhook sender's form id (Typeform's form_id), and never a page or an IP for a webhook", async () => {
    const { queue, messages } = fakeQueue();
    const sources = parseIngestSources([
      {
        id: 'typeform-src',
        kind: 'typeform',
        routeToken: 'evidencetesttoken01',
        fieldMap: { readable_ref_short_text: 'first_name' },
        lastNamePolicy: { placeholder: '-' },
      },
    ]);
    const handler = anIngestHandler({ queue, sources, secretJson: JSON.stringify({ api: SECRETS.api, 'typeform-src': SECRETS.signing }) });
    const delivery = DELIVERIES.typeform;
    const path = '/sources/typeform-src-evidencetesttoken01';
    const answer = await handler(
      anHttpEvent(path, {
        body: delivery.body,
        headers: {
          'content-type': delivery.contentType,
          referer: 'https://typeform.example/x',
          ...senderHeaders('typeform', delivery.body, publicUrlOf(path)),
        },
      }),
    );
    expect(answer.statusCode).toBe(202);
    expect((messages[0] as SignupMessage).evidence).toEqual({ form: 'lT4Z3j' });
  });
});
