import { signupSchema } from '../../../shared/signup/signup-schema';
import { SourcePayloadError } from '../../../shared/sources/errors';
import { JOTFORM_RAW_REQUEST } from './examples';
import { authQuery, decide, makeRequest, makeSource, SECRETS, signupsOf } from './fixtures';

function multipart(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  const boundary = '------------------------d74496d66958873e';
  const parts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return { body: `${parts.join('')}--${boundary}--\r\n`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const submission = (raw: unknown = JOTFORM_RAW_REQUEST, formID = '231234567890') =>
  multipart({ formID, submissionID: '5812345678901234567', type: 'WEB', pretty: 'Name:Kin Lane, Email:kin@example.com', rawRequest: JSON.stringify(raw) });

describe('jotform adapter', () => {
  const source = makeSource('jotform');

  it('maps the documented rawRequest example, with submissionID as the event id, and it validates', () => {
    // Act
    const [first] = signupsOf(decide(makeRequest({ ...submission(), query: authQuery }), source, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({ email: 'kin@example.com', first_name: 'Kin', last_name: 'Lane', event_id: '5812345678901234567' });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('maps question ids from the fieldMap, including sub-keys and phone/address widgets', () => {
    // Arrange
    const mapped = makeSource('jotform', { fieldMap: { 'q7_contact.first': 'first_name', 'q7_contact.last': 'last_name', q9_org: 'company' } });
    const raw = {
      q7_contact: { first: 'Grace', last: 'Hopper' },
      q8_yourEmail: 'grace@example.com',
      q9_org: 'Navy',
      q10_phoneNumber: { full: '(555) 010-0000' },
      q11_address: { addr_line1: '1 Main St', addr_line2: '', city: 'Arlington', state: 'Virginia', postal: '22201', country: 'US' },
    };
    // Act
    const [first] = signupsOf(decide(makeRequest({ ...submission(raw), query: authQuery }), mapped, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({
      email: 'grace@example.com',
      first_name: 'Grace',
      last_name: 'Hopper',
      company: 'Navy',
      phone: '(555) 010-0000',
      address: { address1: '1 Main St', city: 'Arlington', state_or_province: 'Virginia', postal_code: '22201', country_code: 'US' },
      event_id: '5812345678901234567',
    });
  });

  it('ignores forms outside formIds', () => {
    // Arrange
    const restricted = makeSource('jotform', { formIds: ['999'] });
    // Act
    const decision = decide(makeRequest({ ...submission(), query: authQuery }), restricted, SECRETS.token);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: 'the Jotform form is not in formIds' });
  });

  it('answers 400 naming rawRequest when it is missing or not JSON', () => {
    // Act / Assert
    expect(() => decide(makeRequest({ ...multipart({ formID: '1' }), query: authQuery }), source, SECRETS.token)).toThrow(
      expect.objectContaining({ field: 'rawRequest', statusCode: 400 }),
    );
    expect(() => decide(makeRequest({ ...multipart({ rawRequest: '{oops' }), query: authQuery }), source, SECRETS.token)).toThrow(SourcePayloadError);
  });

  it('finds names, phone, email and address by their shape in a Portuguese form (labels in the form language)', () => {
    // Arrange: Jotform names questions after their Portuguese labels ("Nome completo", "Telefone com DDD", "Endereço de e-mail")
    const raw = {
      q6_nomeCompleto6: { first: 'Ana', last: 'Souza' },
      q7_enderecoDe: 'ana.souza@example.com',
      q8_telefonecom: { area: '11', phone: '987654321' },
      q9_endereco: { addr_line1: 'Rua Augusta, 100', addr_line2: '', city: 'São Paulo', state: 'SP', postal: '01304-000', country: 'BR' },
      q10_comoConheceu: 'Instagram',
    };
    // Act
    const [first] = signupsOf(decide(makeRequest({ ...submission(raw), query: authQuery }), source, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({
      email: 'ana.souza@example.com',
      first_name: 'Ana',
      last_name: 'Souza',
      phone: '11 987654321',
      address: { address1: 'Rua Augusta, 100', city: 'São Paulo', state_or_province: 'SP', postal_code: '01304-000', country_code: 'BR' },
      event_id: '5812345678901234567',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('reads a phone widget sent with an input mask ({ full }) and a string under a phone-like label in any language', () => {
    // Act
    const masked = signupsOf(
      decide(
        makeRequest({
          ...submission({ q3_nome: { first: 'Ana', last: 'Souza' }, q4_correo: 'ana@example.com', q5_celular: { full: '(11) 98765-4321' } }),
          query: authQuery,
        }),
        source,
        SECRETS.token,
      ),
    );
    const text = signupsOf(
      decide(makeRequest({ ...submission({ q4_correo: 'ana@example.com', q5_telefono: '+34 600 000 000' }), query: authQuery }), source, SECRETS.token),
    );
    // Assert
    expect(masked[0]?.signup).toMatchObject({ phone: '(11) 98765-4321', first_name: 'Ana' });
    expect(text[0]?.signup).toMatchObject({ email: 'ana@example.com', phone: '+34 600 000 000' });
  });

  it('lets the fieldMap win over every default: a mapped target takes no default, even by shape', () => {
    // Arrange: the operator points the email at an (empty) question of its own and the names at another widget
    const mapped = makeSource('jotform', { fieldMap: { q20_emailCorporativo: 'email', q21_responsavel: 'full_name', q22_outro: 'phone' } });
    const raw = {
      q6_nomeCompleto6: { first: 'Ana', last: 'Souza' },
      q7_enderecoDe: 'ana.souza@example.com',
      q8_telefonecom: { area: '11', phone: '987654321' },
      q21_responsavel: { first: 'Bia', last: 'Lima' },
      q22_outro: { area: '21', phone: '912345678' },
    };
    // Act
    const [first] = signupsOf(decide(makeRequest({ ...submission(raw), query: authQuery }), mapped, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({ first_name: 'Bia', last_name: 'Lima', phone: '21 912345678', event_id: '5812345678901234567' });
  });
});
