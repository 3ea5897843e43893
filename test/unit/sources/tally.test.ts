import { signupSchema } from '../../../shared/signup/signup-schema';
import { TALLY_FORM_RESPONSE } from './examples';
import { decide, hmacHex, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const signed = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('tally', Buffer.from(body)) } });

describe('tally adapter', () => {
  it('maps the documented shape: email and phone by type, full name split by policy', () => {
    // Arrange
    const source = makeSource('tally', { lastNamePolicy: 'split-full-name' });
    // Act
    const [first] = signupsOf(decide(signed(json(TALLY_FORM_RESPONSE)), source, SECRETS.signing));
    // Assert
    expect(first).toEqual({
      signup: { email: 'john@company.com', first_name: 'John', last_name: 'Doe', phone: '+1234567890', event_id: 'a4cb511e-d513-4fa5-baee-b815d718dfd1' },
      occurredAt: '2023-06-28T15:00:21.889Z',
      // The sender's form id, kept in the consent evidence (docs/privacy.md).
      form: 'VwbNEw',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('leaves the last name missing under the default policy', () => {
    // Act
    const [first] = signupsOf(decide(signed(json(TALLY_FORM_RESPONSE)), makeSource('tally'), SECRETS.signing));
    // Assert
    expect(first?.signup['first_name']).toBe('John Doe');
    expect(first?.signup['last_name']).toBeUndefined();
  });

  it('maps by field key and resolves dropdown option ids to their text', () => {
    // Arrange
    const source = makeSource('tally', { fieldMap: { question_plan: 'custom:Plan', question_last: 'last_name' } });
    const body = {
      ...TALLY_FORM_RESPONSE,
      data: {
        ...TALLY_FORM_RESPONSE.data,
        fields: [
          ...TALLY_FORM_RESPONSE.data.fields,
          { key: 'question_last', label: 'Surname', type: 'INPUT_TEXT', value: 'Smith' },
          {
            key: 'question_plan',
            label: 'Plan',
            type: 'DROPDOWN',
            value: ['opt-2'],
            options: [
              { id: 'opt-1', text: 'Free' },
              { id: 'opt-2', text: 'Pro' },
            ],
          },
        ],
      },
    };
    // Act
    const [first] = signupsOf(decide(signed(json(body)), source, SECRETS.signing));
    // Assert
    expect(first?.signup).toMatchObject({ first_name: 'John Doe', last_name: 'Smith', custom_fields: [{ name: 'Plan', value: ['Pro'] }] });
  });

  it('also accepts a hex-encoded signature (the encoding is UNCONFIRMED)', () => {
    // Arrange
    const body = json(TALLY_FORM_RESPONSE);
    // Act
    const decision = decide(makeRequest({ body, headers: { 'tally-signature': hmacHex(SECRETS.signing, body) } }), makeSource('tally'), SECRETS.signing);
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('ignores events other than FORM_RESPONSE', () => {
    // Act
    const decision = decide(signed(json({ ...TALLY_FORM_RESPONSE, eventType: 'FORM_DELETED' })), makeSource('tally'), SECRETS.signing);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: 'Tally event type "FORM_DELETED" is not a signup' });
  });

  it('finds the email of a text field labelled in any language by its value, after the INPUT_EMAIL fields', () => {
    // Arrange
    const body = (fields: unknown[]) => json({ eventId: 'e1', eventType: 'FORM_RESPONSE', data: { submissionId: 's1', fields } });
    const source = makeSource('tally');
    // Act
    const byValue = signupsOf(
      decide(signed(body([{ key: 'question_a', label: 'Seu e-mail', type: 'INPUT_TEXT', value: 'ana@example.com' }])), source, SECRETS.signing),
    );
    const byType = signupsOf(
      decide(
        signed(
          body([
            { key: 'question_a', label: 'Indique um amigo', type: 'INPUT_TEXT', value: 'friend@example.com' },
            { key: 'question_b', label: 'E-mail', type: 'INPUT_EMAIL', value: 'ana@example.com' },
          ]),
        ),
        source,
        SECRETS.signing,
      ),
    );
    // Assert
    expect(byValue[0]?.signup).toMatchObject({ email: 'ana@example.com' });
    expect(byType[0]?.signup).toMatchObject({ email: 'ana@example.com' });
  });
});
