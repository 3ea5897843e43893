import { signupSchema } from '../../../shared/signup/signup-schema';
import { applyLastNamePolicy, buildCandidate, jsonPathLookup, mapFields, toCandidate, toEventId, withLastNamePolicy } from '../../../shared/sources/field-map';
import { isAddressObject, isEmailValue, isNameObject, isPhoneObject, shapeDefaults, withFallback } from '../../../shared/sources/field-shapes';

describe('applyLastNamePolicy', () => {
  it("'reject' leaves a missing last name missing", () => {
    // Act
    const names = applyLastNamePolicy({ first_name: 'Ada Lovelace' }, 'reject');
    // Assert
    expect(names).toEqual({ first_name: 'Ada Lovelace' });
  });

  it("'split-full-name' splits on the first space: 'Ada Lovelace King' -> Ada / Lovelace King", () => {
    // Act / Assert
    expect(applyLastNamePolicy({ full_name: 'Ada Lovelace King' }, 'split-full-name')).toEqual({ first_name: 'Ada', last_name: 'Lovelace King' });
    expect(applyLastNamePolicy({ first_name: '  Ada   Lovelace ' }, 'split-full-name')).toEqual({ first_name: 'Ada', last_name: 'Lovelace' });
    expect(applyLastNamePolicy({ first_name: 'Augusta', full_name: 'Ada Lovelace' }, 'split-full-name')).toEqual({
      first_name: 'Augusta',
      last_name: 'Lovelace',
    });
  });

  it("'split-full-name' leaves a single word as a missing last name", () => {
    // Act / Assert
    expect(applyLastNamePolicy({ full_name: 'Cher' }, 'split-full-name')).toEqual({ first_name: 'Cher' });
    expect(applyLastNamePolicy({ first_name: 'Cher' }, 'split-full-name')).toEqual({ first_name: 'Cher' });
  });

  it('never overrides a last name that was sent', () => {
    // Act / Assert
    expect(applyLastNamePolicy({ first_name: 'Ada Mary', last_name: 'Lovelace' }, 'split-full-name')).toEqual({
      first_name: 'Ada Mary',
      last_name: 'Lovelace',
    });
    expect(applyLastNamePolicy({ first_name: 'Ada', last_name: 'Lovelace' }, { placeholder: '-' })).toEqual({
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
  });

  it('a placeholder fills only a missing last name', () => {
    // Act / Assert
    expect(applyLastNamePolicy({ first_name: 'Ada' }, { placeholder: '(not given)' })).toEqual({ first_name: 'Ada', last_name: '(not given)' });
    expect(applyLastNamePolicy({ first_name: 'Ada', last_name: '   ' }, { placeholder: '-' })).toEqual({ first_name: 'Ada', last_name: '-' });
  });

  it('withLastNamePolicy applies to canonical bodies without touching other fields', () => {
    // Arrange
    const body = { email: 'ada@example.com', first_name: 'Ada Lovelace', company: 'Engines' };
    // Act / Assert
    expect(withLastNamePolicy(body, 'split-full-name')).toEqual({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', company: 'Engines' });
    expect(withLastNamePolicy(body, 'reject')).toBe(body);
    expect(withLastNamePolicy({ ...body, last_name: 'King' }, 'split-full-name')).toEqual({ ...body, last_name: 'King' });
  });
});

describe('mapFields', () => {
  const payload = { 'E-mail': ' ADA@example.com ', Given: 'Ada', Surname: 'Lovelace', email: 'other@example.com', Phone: 15550000000 };
  const lookup = (key: string) => (payload as Record<string, unknown>)[key];

  it('uses the fieldMap first and the defaults only for targets the map leaves out', () => {
    // Act
    const draft = mapFields(lookup, { 'E-mail': 'email', Given: 'first_name' }, { email: ['email'], last_name: ['Surname'], phone: ['Phone'] });
    // Assert
    expect(draft.text).toEqual({ email: 'ADA@example.com', first_name: 'Ada', last_name: 'Lovelace', phone: '15550000000' });
  });

  it('tries default keys in order until one has a value', () => {
    // Act
    const draft = mapFields(lookup, undefined, { first_name: ['Missing', '', 'Given'] });
    // Assert
    expect(draft.text.first_name).toBe('Ada');
  });
});

describe('toCandidate / buildCandidate', () => {
  it('builds a canonical signup that passes the schema, with custom fields and an event id', () => {
    // Arrange
    const payload = { mail: 'ada@example.com', first: 'Ada', last: 'Lovelace', co: 'x'.repeat(300), plan: ['a', 'b'], size: 3 };
    // Act
    const candidate = buildCandidate(
      {
        fieldMap: { mail: 'email', first: 'first_name', last: 'last_name', co: 'company', plan: 'custom:Plan', size: 'custom:Size' },
        lastNamePolicy: 'reject',
      },
      jsonPathLookup(payload),
      {},
      'evt-1',
    );
    // Assert
    expect(candidate).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      company: 'x'.repeat(255),
      custom_fields: [
        { name: 'Plan', value: ['a', 'b'] },
        { name: 'Size', value: 3 },
      ],
      event_id: 'evt-1',
    });
    expect(signupSchema.safeParse(candidate).success).toBe(true);
  });

  it('keeps a complete address and drops an incomplete one (customer kept)', () => {
    // Arrange
    const complete = mapFields(
      jsonPathLookup({ a: { addr1: '1 Main St', city: 'Springfield', state: 'Illinois', zip: '62701', country: 'us' } }),
      { a: 'address' },
      {},
    );
    const noCountryCode = mapFields(jsonPathLookup({ a: { addr1: '1 Main St', city: 'Springfield', country: 'United States' } }), { a: 'address' }, {});
    // Act
    const kept = toCandidate(complete, 'reject');
    const dropped = toCandidate(noCountryCode, 'reject');
    // Assert
    expect(kept['address']).toEqual({ address1: '1 Main St', city: 'Springfield', state_or_province: 'Illinois', postal_code: '62701', country_code: 'US' });
    expect(dropped['address']).toBeUndefined();
  });

  it('fills first and last name from a {first, last} object mapped to full_name', () => {
    // Act
    const candidate = toCandidate(mapFields(jsonPathLookup({ q3_name: { first: 'Kin', last: 'Lane' } }), { q3_name: 'full_name' }, {}), 'reject');
    // Assert
    expect(candidate).toEqual({ first_name: 'Kin', last_name: 'Lane' });
  });

  it('unwraps HubSpot-style {value} and never reads inherited properties', () => {
    // Arrange
    const lookup = jsonPathLookup({ properties: { email: { value: 'a@example.com', versions: [] } } });
    // Act / Assert
    expect(lookup('properties.email')).toBe('a@example.com');
    expect(lookup('constructor')).toBeUndefined();
    expect(lookup('properties.toString')).toBeUndefined();
  });

  it('hashes event ids longer than the canonical limit', () => {
    // Act
    const id = toEventId('x'.repeat(500));
    // Assert
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(toEventId('x'.repeat(500))).toBe(id);
    expect(toEventId(42)).toBe('42');
    expect(toEventId('  ')).toBeUndefined();
  });
});

describe('shapes of form answers (shared/sources/field-shapes.ts)', () => {
  it('reads a phone widget as one line: { full } as sent, else country, area and number', () => {
    // Act / Assert
    const phoneOf = (value: unknown) => mapFields(() => value, { q: 'phone' }, {}).text.phone;
    expect(phoneOf({ full: '(11) 98765-4321', area: '11', phone: '987654321' })).toBe('(11) 98765-4321');
    expect(phoneOf({ area: '11', phone: '987654321' })).toBe('11 987654321');
    expect(phoneOf({ country: '+55', area: '11', phone: '987654321' })).toBe('+55 11 987654321');
    expect(phoneOf({ area: '11' })).toBeUndefined();
    expect(phoneOf('555-0100')).toBe('555-0100');
  });

  it('tells emails, name widgets, phone widgets and addresses by their shape', () => {
    // Act / Assert
    expect([' Ana@Example.com ', 'not-an-email', 'a@b', 42, { email: 'x@example.com' }].map(isEmailValue)).toEqual([true, false, false, false, false]);
    expect([{ first: 'Ana' }, { last: 'Souza' }, { first: '' }, 'Ana Souza'].map(isNameObject)).toEqual([true, true, false, false]);
    expect([{ area: '11', phone: '9' }, { full: '(11) 9' }, { area: '11' }, '555'].map(isPhoneObject)).toEqual([true, true, false, false]);
    expect([{ addr_line1: 'Rua A, 1', city: 'SP' }, { city: 'SP' }, { addr_line1: 'Rua A, 1' }].map(isAddressObject)).toEqual([true, false, false]);
  });

  it('appends the shape keys after the label defaults, without repeating a key', () => {
    // Act
    const defaults = withFallback(
      { email: ['q4_email'] },
      shapeDefaults([
        { key: 'q4_email', value: 'a@example.com' },
        { key: 'q7_correo', value: 'b@example.com' },
        { key: 'q6_nome', value: { first: 'Ana', last: 'Souza' } },
      ]),
    );
    // Assert
    expect(defaults).toEqual({ email: ['q4_email', 'q7_correo'], full_name: ['q6_nome'], phone: [], address: [] });
  });
});
