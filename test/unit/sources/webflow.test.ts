import { signupSchema } from '../../../shared/signup/signup-schema';
import { WEBFLOW_FORM_SUBMISSION } from './examples';
import { decide, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const signed = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('webflow', Buffer.from(body)) } });
const source = makeSource('webflow');

describe('webflow adapter', () => {
  it("maps the docs' example by label, coercing the numeric phone, and it validates", () => {
    // Act
    const [first] = signupsOf(decide(signed(json(WEBFLOW_FORM_SUBMISSION)), source, SECRETS.signing));
    // Assert
    expect(first).toEqual({
      signup: { email: 'zaphod@heartofgold.ai', first_name: 'Zaphod', last_name: 'Beeblebrox', phone: '15550000000' },
      occurredAt: '2022-09-14T12:35:16.117Z',
      // The sender's form id, kept in the consent evidence (docs/privacy.md).
      form: '65429eadebe8a9f3a30f62d0',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('finds the email through the schema field type and maps labels case-insensitively', () => {
    // Arrange
    const mapped = makeSource('webflow', { fieldMap: { 'your company': 'company' } });
    const body = {
      triggerType: 'form_submission',
      payload: {
        name: 'Signup',
        id: '6321a2b4c5d6e7f8a9b0c1d2',
        data: { 'Work address': 'ada@example.com', 'first name': 'Ada', 'LAST NAME': 'Lovelace', 'Your Company': 'Engines' },
        schema: [{ fieldName: 'Work address', fieldType: 'FormEmail', fieldElementId: 'x' }],
      },
    };
    // Act
    const [first] = signupsOf(decide(signed(json(body)), mapped, SECRETS.signing));
    // Assert
    expect(first?.signup).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      company: 'Engines',
      event_id: '6321a2b4c5d6e7f8a9b0c1d2',
    });
  });

  it('ignores other triggers and forms outside formNames', () => {
    // Arrange
    const onlySignup = makeSource('webflow', { formNames: ['Signup'] });
    // Act
    const otherTrigger = decide(signed(json({ triggerType: 'site_publish', payload: {} })), source, SECRETS.signing);
    const otherForm = decide(signed(json(WEBFLOW_FORM_SUBMISSION)), onlySignup, SECRETS.signing);
    // Assert
    expect(otherTrigger).toEqual({ type: 'ignore', reason: 'Webflow trigger "site_publish" is not a form submission' });
    expect(otherForm).toEqual({ type: 'ignore', reason: 'the Webflow form is not in formNames' });
  });

  it('accepts the v1 payload shape (no triggerType, data in d, _id)', () => {
    // Arrange
    const v1 = { name: 'Contact Us', site: '62749158efef318abc8d5a0f', d: { Email: 'ada@example.com', Name: 'Ada Lovelace' }, _id: '6321a2b4' };
    const split = makeSource('webflow', { lastNamePolicy: 'split-full-name' });
    // Act
    const [first] = signupsOf(decide(signed(json(v1)), split, SECRETS.signing));
    // Assert
    expect(first?.signup).toEqual({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', event_id: '6321a2b4' });
  });

  it('answers 400 naming payload.data when it is missing', () => {
    // Act / Assert
    expect(() => decide(signed(json({ triggerType: 'form_submission', payload: { name: 'x' } })), source, SECRETS.signing)).toThrow(
      expect.objectContaining({ statusCode: 400, field: 'payload.data' }),
    );
  });

  it('takes the email of Webflow\'s default newsletter box ("Email Form", field "Email 2"), and of a field labelled in another language by its value', () => {
    // Arrange
    const submission = (data: Record<string, unknown>, schema?: unknown[]) =>
      json({ triggerType: 'form_submission', payload: { name: 'Email Form', data, ...(schema ? { schema } : {}), id: 'sub-1' } });
    // Act
    const emailForm = signupsOf(decide(signed(submission({ 'Email 2': 'reader@example.com' })), source, SECRETS.signing));
    const spanish = signupsOf(decide(signed(submission({ Nombre: 'Ana', 'Correo electrónico': 'ana@example.com' })), source, SECRETS.signing));
    // Assert
    expect(emailForm[0]?.signup).toEqual({ email: 'reader@example.com', event_id: 'sub-1' });
    expect(spanish[0]?.signup).toMatchObject({ email: 'ana@example.com' });
  });

  it('takes the phone from the field whose schema type mentions phone, whatever its label', () => {
    const body = json({
      triggerType: 'form_submission',
      payload: {
        data: { 'E-mail': 'ana@example.com', Telefone: 5511987654321 },
        schema: [
          { fieldName: 'E-mail', fieldType: 'FormTextInput' },
          { fieldName: 'Telefone', fieldType: 'FormPhoneInput' },
        ],
      },
    });
    expect(signupsOf(decide(signed(body), source, SECRETS.signing))[0]?.signup).toEqual({ email: 'ana@example.com', phone: '5511987654321' });
  });
});
