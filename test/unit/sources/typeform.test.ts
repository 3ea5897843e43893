import { signupSchema } from '../../../shared/signup/signup-schema';
import { TYPEFORM_FORM_RESPONSE } from './examples';
import { decide, hmacBase64, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const signed = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('typeform', Buffer.from(body)) } });

describe('typeform adapter', () => {
  it('maps the official example: email by answer type, names by ref, event_id and submitted_at', () => {
    // Arrange
    const source = makeSource('typeform', {
      fieldMap: { readable_ref_short_text: 'first_name', 'hidden.user_id': 'custom:User id' },
      lastNamePolicy: { placeholder: '-' },
    });
    // Act
    const [first] = signupsOf(decide(signed(json(TYPEFORM_FORM_RESPONSE)), source, SECRETS.signing));
    // Assert
    expect(first).toEqual({
      signup: {
        email: 'laura@example.com',
        first_name: 'Laura',
        last_name: '-',
        custom_fields: [{ name: 'User id', value: 'abc123456' }],
        event_id: 'LtWXD3crgy',
      },
      occurredAt: '2018-01-18T18:17:02.000Z',
      // The sender's form id, kept in the consent evidence (docs/privacy.md).
      form: 'lT4Z3j',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('reads phone_number, choice and boolean answers by ref', () => {
    // Arrange
    const source = makeSource('typeform', { fieldMap: { phone_ref: 'phone', plan_ref: 'custom:Plan', consent_ref: 'custom:Consent', last_ref: 'last_name' } });
    const body = {
      ...TYPEFORM_FORM_RESPONSE,
      form_response: {
        ...TYPEFORM_FORM_RESPONSE.form_response,
        answers: [
          ...TYPEFORM_FORM_RESPONSE.form_response.answers,
          { type: 'text', text: 'Palmer', field: { id: 'a', type: 'short_text', ref: 'last_ref' } },
          { type: 'phone_number', phone_number: '+15551234567', field: { id: 'b', type: 'phone_number', ref: 'phone_ref' } },
          { type: 'choice', choice: { label: 'Pro' }, field: { id: 'c', type: 'multiple_choice', ref: 'plan_ref' } },
          { type: 'boolean', boolean: true, field: { id: 'd', type: 'yes_no', ref: 'consent_ref' } },
        ],
      },
    };
    // Act
    const [first] = signupsOf(decide(signed(json(body)), source, SECRETS.signing));
    // Assert
    expect(first?.signup).toMatchObject({
      email: 'laura@example.com',
      last_name: 'Palmer',
      phone: '+15551234567',
      custom_fields: [
        { name: 'Plan', value: 'Pro' },
        { name: 'Consent', value: 'true' },
      ],
    });
  });

  it.each(['form_response_partial', 'something_else'])('ignores %s events', (eventType) => {
    // Act
    const decision = decide(signed(json({ ...TYPEFORM_FORM_RESPONSE, event_type: eventType })), makeSource('typeform'), SECRETS.signing);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: `Typeform event type "${eventType}" is not a signup` });
  });

  it('rejects a signature without the sha256= prefix', () => {
    // Arrange
    const body = json(TYPEFORM_FORM_RESPONSE);
    const request = makeRequest({ body, headers: { 'typeform-signature': hmacBase64(SECRETS.signing, body) } });
    // Act / Assert
    expect(() => decide(request, makeSource('typeform'), SECRETS.signing)).toThrow('Invalid signature');
  });

  it("resolves refs of answers that carry only a field id (Typeform's example payload) through definition.fields, and finds an email typed into a short_text", () => {
    // Arrange: the answers name only their field id; the refs are in the definition
    const body = json({
      event_id: 'evt-1',
      event_type: 'form_response',
      form_response: {
        form_id: 'f1',
        submitted_at: '2026-07-29T14:30:00Z',
        definition: {
          fields: [
            { id: 'a1', title: 'Seu nome', type: 'short_text', ref: 'nome' },
            { id: 'a2', title: 'Sobrenome', type: 'short_text', ref: 'sobrenome' },
            { id: 'a3', title: 'Seu e-mail', type: 'short_text', ref: 'contato' },
          ],
        },
        answers: [
          { type: 'text', text: 'Ana', field: { id: 'a1', type: 'short_text' } },
          { type: 'text', text: 'Souza', field: { id: 'a2', type: 'short_text' } },
          { type: 'text', text: 'ana@example.com', field: { id: 'a3', type: 'short_text' } },
        ],
      },
    });
    const source = makeSource('typeform', { fieldMap: { nome: 'first_name', a2: 'last_name' } });
    // Act
    const [first] = signupsOf(decide(signed(body), source, SECRETS.signing));
    // Assert: refs by definition, a field id, and the email by its value
    expect(first?.signup).toEqual({ email: 'ana@example.com', first_name: 'Ana', last_name: 'Souza', event_id: 'evt-1' });
  });

  it('prefers an email-typed answer over an email-valued text answer', () => {
    const body = json({
      event_id: 'evt-2',
      event_type: 'form_response',
      form_response: {
        answers: [
          { type: 'text', text: 'friend@example.com', field: { id: 'b1', type: 'short_text', ref: 'friend' } },
          { type: 'email', email: 'me@example.com', field: { id: 'b2', type: 'email', ref: 'mine' } },
        ],
      },
    });
    expect(signupsOf(decide(signed(body), makeSource('typeform'), SECRETS.signing))[0]?.signup).toMatchObject({ email: 'me@example.com' });
  });
});
