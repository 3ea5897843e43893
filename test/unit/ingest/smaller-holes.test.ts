import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { anHttpEvent, anIngestHandler, fakeQueue, SECRETS, standardWebhookHeaders } from '../../helpers/ingest';
import { TYPEFORM_FORM_RESPONSE } from '../sources/examples';
import { hmacBase64 } from '../sources/fixtures';

/** docs/trust.md, "Smaller holes": the attribute limit at ingest and POST /signups without bearer tokens. */

const ATTRIBUTE_FIELDS = Array.from({ length: 12 }, (_, i) => `attr${i}`);
const withCustomFields = (count: number) => ({
  email: 'many@example.com',
  first_name: 'Many',
  last_name: 'Fields',
  custom_fields: [...Array.from({ length: count }, (_, i) => ({ name: `attr${i}`, value: `v${i}` })), { name: 'not-an-attribute', value: 'x' }],
});
const problemOf = (body: string) => JSON.parse(body) as { status: number; errors?: { path: string; message: string }[] };

describe('at most 10 custom fields mapped to customer attributes', () => {
  it('refuses a POST /signups signup with 11 attribute-mapped custom fields (422 naming /custom_fields), and takes 10', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, attributeFields: ATTRIBUTE_FIELDS });
    const post = (body: unknown) =>
      ingest(anHttpEvent('/signups', { body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.api}` } }));

    // Act
    const eleven = await post(withCustomFields(11));
    const batch = await post([withCustomFields(10), withCustomFields(11)]);
    const ten = await post(withCustomFields(10));

    // Assert
    expect(eleven.statusCode).toBe(422);
    expect(problemOf(eleven.body).errors).toEqual([
      { path: '/custom_fields', message: '11 custom fields map to customer attributes; BigCommerce accepts at most 10 per customer' },
    ]);
    expect(batch.statusCode).toBe(422);
    expect(problemOf(batch.body).errors?.map((error) => error.path)).toEqual(['/1/custom_fields']);
    expect(ten.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
  });

  it('refuses a source delivery whose mapped fields make more than 10 attributes', async () => {
    // Arrange: a Typeform source mapping 11 answers to attribute-mapped custom fields.
    const { queue, messages } = fakeQueue();
    const fieldMap = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`ref_${i}`, `custom:attr${i}`]));
    const answers = Array.from({ length: 11 }, (_, i) => ({ type: 'text', text: `v${i}`, field: { id: `f${i}`, type: 'short_text', ref: `ref_${i}` } }));
    const body = JSON.stringify({
      ...TYPEFORM_FORM_RESPONSE,
      form_response: { ...TYPEFORM_FORM_RESPONSE.form_response, answers: [...TYPEFORM_FORM_RESPONSE.form_response.answers, ...answers] },
    });
    const sources = parseIngestSources([
      { id: 'tf', kind: 'typeform', fieldMap: { ...fieldMap, readable_ref_short_text: 'first_name' }, lastNamePolicy: { placeholder: '-' } },
    ]);
    const ingest = anIngestHandler({
      queue,
      sources,
      attributeFields: ATTRIBUTE_FIELDS,
      secretJson: JSON.stringify({ api: SECRETS.api, tf: SECRETS.signing }),
    });

    // Act
    const response = await ingest(
      anHttpEvent('/sources/tf', {
        body,
        headers: { 'content-type': 'application/json', 'typeform-signature': `sha256=${hmacBase64(SECRETS.signing, body)}` },
      }),
    );

    // Assert
    expect(response.statusCode).toBe(422);
    expect(problemOf(response.body).errors).toEqual([{ path: '/custom_fields', message: expect.stringContaining('at most 10') }]);
    expect(messages).toHaveLength(0);
  });
});

describe('POST /signups with signupsBearerToken: false', () => {
  it('accepts signatures only: a bearer token is refused 401', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, signupsBearerToken: false });
    const body = JSON.stringify({ email: 'signed@example.com', first_name: 'Signed', last_name: 'Only' });

    // Act
    const bearer = await ingest(anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.api}` } }));
    const signed = await ingest(
      anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body, { id: 'msg_signed_only' }) } }),
    );

    // Assert
    expect(bearer.statusCode).toBe(401);
    expect(problemOf(bearer.body)).toMatchObject({ status: 401 });
    expect(signed.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
  });
});
