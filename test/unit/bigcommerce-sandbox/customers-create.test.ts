import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { type CustomerBody, call, newCustomer, type Problem, validAddress } from './sandbox-http';

describe('BigCommerce sandbox: POST /customers', () => {
  let sandbox: BigCommerceSandbox;

  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: false, channels: [1, 2, 3], seed: 7 });
  });

  beforeEach(() => {
    sandbox.reset();
    sandbox.setOptions({ batch422: 'atomic', vague422: false, rejectEmails: undefined, shuffleResponses: false });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('creates customers and finds them by email', async () => {
    // Arrange
    const input = [
      newCustomer({ email: 'Grace.Hopper@Example.com', company: 'Navy', addresses: [validAddress({ country_code: 'us' })] }),
      newCustomer({ authentication: { force_password_reset: true, new_password: 'S3cret-pass' } }),
    ];

    // Act
    const created = await call<{ data: CustomerBody[]; meta: object }>(sandbox, 'POST', '/customers', { body: input });
    const found = await call<{ data: CustomerBody[] }>(sandbox, 'GET', '/customers?email:in=grace.hopper%40example.com');

    // Assert
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    expect(created.body.meta).toEqual({});
    expect(created.body.data.map((c) => c.email)).toEqual(['grace.hopper@example.com', input[1]?.email]);
    const [grace, second] = created.body.data;
    expect(grace).toMatchObject({ id: 1, company: 'Navy', origin_channel_id: 1, channel_ids: null });
    expect(grace?.date_created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(grace?.addresses).toEqual([expect.objectContaining({ id: expect.any(Number), customer_id: 1, country_code: 'US' })]);
    expect(second?.id).toBe(2);
    expect(JSON.stringify(created.body)).not.toContain('S3cret-pass');
    expect(second?.authentication).toEqual({ force_password_reset: true });
    expect(found.body.data).toEqual([expect.objectContaining({ id: 1, email: 'grace.hopper@example.com' })]);
    expect(sandbox.customers()).toHaveLength(2);
    expect(sandbox.stats().customersCreated).toBe(2);
  });

  it('answers 413 at 11 items and creates nothing', async () => {
    // Arrange
    const input = Array.from({ length: 11 }, () => newCustomer());

    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', { body: input });

    // Assert
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ status: 413, title: 'The maximum number of items allowed in the array is 10.' });
    expect(sandbox.customers()).toEqual([]);
  });

  it('accepts exactly 10 items', async () => {
    // Act
    const response = await call<{ data: CustomerBody[] }>(sandbox, 'POST', '/customers', { body: Array.from({ length: 10 }, () => newCustomer()) });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(10);
  });

  it.each([
    ['not an array', '{"email":"a@b.co"}'],
    ['an empty array', '[]'],
    ['invalid JSON', '[{"email":'],
  ])('answers 422 "JSON data is missing or invalid" for %s', async (_case, rawBody) => {
    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', { rawBody });

    // Assert
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      status: 422,
      title: 'JSON data is missing or invalid',
      type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes',
    });
    expect(Object.keys(response.body.errors)).toHaveLength(1);
  });

  it('answers 415 when the body is not declared as JSON', async () => {
    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', {
      rawBody: JSON.stringify([newCustomer()]),
      headers: { 'Content-Type': 'text/plain' },
    });

    // Assert
    expect(response.status).toBe(415);
    expect(sandbox.customers()).toEqual([]);
  });

  const long = (n: number) => 'x'.repeat(n);
  it.each<{ name: string; overrides: Record<string, unknown>; key: string; message?: string }>([
    { name: 'email missing', overrides: { email: undefined }, key: '1.email', message: 'error.path.missing' },
    { name: 'email too short', overrides: { email: 'a@' }, key: '1.email' },
    { name: 'email over 250', overrides: { email: `${long(240)}@example.com` }, key: '1.email' },
    { name: 'email not an email', overrides: { email: 'not-an-email' }, key: '1.email', message: 'error.email' },
    { name: 'email not a string', overrides: { email: 42 }, key: '1.email', message: 'error.expected.jsstring' },
    { name: 'first_name empty', overrides: { first_name: '' }, key: '1.first_name' },
    { name: 'first_name over 100', overrides: { first_name: long(101) }, key: '1.first_name' },
    { name: 'last_name missing', overrides: { last_name: undefined }, key: '1.last_name', message: 'error.path.missing' },
    { name: 'last_name over 100', overrides: { last_name: long(101) }, key: '1.last_name' },
    { name: 'company over 255', overrides: { company: long(256) }, key: '1.company' },
    { name: 'phone over 50', overrides: { phone: long(51) }, key: '1.phone' },
    { name: 'tax_exempt_category over 255', overrides: { tax_exempt_category: long(256) }, key: '1.tax_exempt_category' },
    { name: 'customer_group_id not an int', overrides: { customer_group_id: 1.5 }, key: '1.customer_group_id' },
    { name: 'more than 10 addresses', overrides: { addresses: Array.from({ length: 11 }, () => validAddress()) }, key: '1.addresses' },
    { name: 'address first_name over 255', overrides: { addresses: [validAddress({ first_name: long(256) })] }, key: '1.addresses.0.first_name' },
    { name: 'address last_name empty', overrides: { addresses: [validAddress({ last_name: '' })] }, key: '1.addresses.0.last_name' },
    {
      name: 'address1 missing',
      overrides: { addresses: [validAddress({ address1: undefined })] },
      key: '1.addresses.0.address1',
      message: 'error.path.missing',
    },
    { name: 'city over 100', overrides: { addresses: [validAddress({ city: long(101) })] }, key: '1.addresses.0.city' },
    { name: 'country_code of 3 letters', overrides: { addresses: [validAddress({ country_code: 'USA' })] }, key: '1.addresses.0.country_code' },
    { name: 'country_code with a digit', overrides: { addresses: [validAddress({ country_code: 'U1' })] }, key: '1.addresses.0.country_code' },
    { name: 'state over 100', overrides: { addresses: [validAddress({ state_or_province: long(101) })] }, key: '1.addresses.0.state_or_province' },
    { name: 'postal_code over 30', overrides: { addresses: [validAddress({ postal_code: long(31) })] }, key: '1.addresses.0.postal_code' },
    { name: 'address_type unknown', overrides: { addresses: [validAddress({ address_type: 'home' })] }, key: '1.addresses.0.address_type' },
    {
      name: 'more than 10 attributes',
      overrides: { attributes: Array.from({ length: 11 }, () => ({ attribute_id: 1, attribute_value: 'x' })) },
      key: '1.attributes',
    },
    { name: 'attribute unknown', overrides: { attributes: [{ attribute_id: 999, attribute_value: 'x' }] }, key: '1.attributes.0.attribute_id' },
    { name: 'attribute_value over 255', overrides: { attributes: [{ attribute_id: 1, attribute_value: long(256) }] }, key: '1.attributes.0.attribute_value' },
    { name: 'attribute_value not a number', overrides: { attributes: [{ attribute_id: 2, attribute_value: 'lots' }] }, key: '1.attributes.0.attribute_value' },
    { name: 'channel_ids empty', overrides: { channel_ids: [] }, key: '1.channel_ids' },
    { name: 'channel_ids not ints', overrides: { channel_ids: ['web'] }, key: '1.channel_ids.0' },
    { name: 'channel_ids unknown channel', overrides: { channel_ids: [9] }, key: '1.channel_ids' },
    { name: 'origin_channel_id unknown', overrides: { origin_channel_id: 9 }, key: '1.origin_channel_id' },
    { name: 'form field without name', overrides: { form_fields: [{ value: 'x' }] }, key: '1.form_fields.0.name', message: 'error.path.missing' },
    { name: 'form field value an object', overrides: { form_fields: [{ name: 'n', value: { a: 1 } }] }, key: '1.form_fields.0.value' },
    { name: 'force_password_reset not boolean', overrides: { authentication: { force_password_reset: 'yes' } }, key: '1.authentication.force_password_reset' },
    { name: 'notification flag not boolean', overrides: { trigger_account_created_notification: 'yes' }, key: '1.trigger_account_created_notification' },
  ])('answers 422 keyed $key for $name', async ({ overrides, key, message }) => {
    // Arrange
    sandbox.seedAttributes([
      { name: 'Plan', type: 'string' },
      { name: 'Seats', type: 'number' },
    ]);
    const bad = newCustomer(overrides);

    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer(), bad] });

    // Assert
    expect(response.status).toBe(422);
    expect(response.body.title).toBe('Create customers failed.');
    expect(Object.keys(response.body.errors)).toEqual([key]);
    if (message !== undefined) expect(response.body.errors[key]).toBe(message);
    expect(sandbox.customers()).toEqual([]);
  });

  it('stores valid attributes and form fields', async () => {
    // Arrange
    const [plan, seats] = sandbox.seedAttributes([
      { name: 'Plan', type: 'string' },
      { name: 'Seats', type: 'number' },
    ]);
    const input = newCustomer({
      attributes: [
        { attribute_id: plan?.id, attribute_value: 'gold' },
        { attribute_id: seats?.id, attribute_value: '12' },
      ],
      form_fields: [{ name: 'interests', value: ['a', 'b'] }],
    });

    // Act
    const response = await call<{ data: CustomerBody[] }>(sandbox, 'POST', '/customers', { body: [input] });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.data[0]?.attributes).toEqual([
      expect.objectContaining({ attribute_id: plan?.id, attribute_value: 'gold', customer_id: 1 }),
      expect.objectContaining({ attribute_id: seats?.id, attribute_value: '12', customer_id: 1 }),
    ]);
    expect(response.body.data[0]?.form_fields).toEqual([{ name: 'interests', value: ['a', 'b'] }]);
  });

  it("answers a duplicate email with BigCommerce's exact text, naming only the first clash", async () => {
    // Arrange
    sandbox.seedCustomers([{ email: 'bobby.bob@example.com' }, { email: 'second@example.com' }]);

    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', {
      body: [newCustomer(), newCustomer({ email: 'Bobby.Bob@example.com' }), newCustomer({ email: 'second@example.com' })],
    });

    // Assert
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      status: 422,
      title: 'Create customers failed.',
      errors: { '.customer_create': 'Error creating customers: email bobby.bob@example.com already in use' },
    });
    expect(sandbox.customers()).toHaveLength(2);
  });

  it('treats the second of two identical emails in one POST as already in use', async () => {
    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', {
      body: [newCustomer({ email: 'twin@example.com' }), newCustomer({ email: 'TWIN@example.com' })],
    });

    // Assert
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual({ '.customer_create': 'Error creating customers: email twin@example.com already in use' });
  });

  it('keeps emails unique per channel, with global customers clashing everywhere', async () => {
    // Arrange
    sandbox.seedCustomers([{ email: 'multi@example.com', channel_ids: [1] }, { email: 'global@example.com' }]);

    // Act
    const otherChannel = await call(sandbox, 'POST', '/customers', {
      body: [newCustomer({ email: 'multi@example.com', channel_ids: [2], origin_channel_id: 2 })],
    });
    const sameChannel = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer({ email: 'multi@example.com', channel_ids: [1, 3] })] });
    const globalNew = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer({ email: 'multi@example.com' })] });
    const againstGlobal = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer({ email: 'global@example.com', channel_ids: [3] })] });

    // Assert
    expect(otherChannel.status).toBe(200);
    expect(sameChannel.status).toBe(422);
    expect(sameChannel.body.errors['.customer_create']).toContain('multi@example.com already in use');
    expect(globalNew.status).toBe(422);
    expect(againstGlobal.status).toBe(422);
    expect(
      sandbox
        .customers()
        .filter((c) => c.email === 'multi@example.com')
        .map((c) => c.channel_ids),
    ).toEqual([[1], [2]]);
  });

  it('atomic mode: a batch with one bad item creates nothing', async () => {
    // Arrange
    sandbox.setOptions({ batch422: 'atomic' });

    // Act
    const response = await call<Problem>(sandbox, 'POST', '/customers', {
      body: [newCustomer({ email: 'good1@example.com' }), newCustomer({ first_name: '' }), newCustomer({ email: 'good2@example.com' })],
    });

    // Assert
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual({ '1.first_name': 'must be at least 1 character' });
    expect(sandbox.customers()).toEqual([]);
  });

  it('partial mode: the good items are created and the answer is still 422', async () => {
    // Arrange
    sandbox.setOptions({ batch422: 'partial' });
    sandbox.seedCustomers([{ email: 'taken@example.com' }]);

    // Act
    const invalid = await call<Problem>(sandbox, 'POST', '/customers', {
      body: [newCustomer({ email: 'good1@example.com' }), newCustomer({ first_name: '' }), newCustomer({ email: 'good2@example.com' })],
    });
    const clash = await call<Problem>(sandbox, 'POST', '/customers', {
      body: [newCustomer({ email: 'taken@example.com' }), newCustomer({ email: 'good3@example.com' })],
    });

    // Assert
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors).toEqual({ '1.first_name': 'must be at least 1 character' });
    expect(clash.status).toBe(422);
    expect(clash.body.errors['.customer_create']).toBe('Error creating customers: email taken@example.com already in use');
    expect(sandbox.customers().map((c) => c.email)).toEqual(['taken@example.com', 'good1@example.com', 'good2@example.com', 'good3@example.com']);
    expect(sandbox.stats().customersCreated).toBe(3);
  });

  it('vague422: errors never name the item', async () => {
    // Arrange
    sandbox.setOptions({ vague422: true });
    sandbox.seedCustomers([{ email: 'taken@example.com' }]);

    // Act
    const invalid = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer(), newCustomer({ phone: 'x'.repeat(51) })] });
    const clash = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer({ email: 'taken@example.com' })] });

    // Assert
    for (const response of [invalid, clash]) {
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ title: 'Create customers failed.', errors: { '.customer_create': 'Error creating customers' } });
      expect(Object.keys(response.body.errors)).toEqual(['.customer_create']);
    }
  });

  it('rejectEmails: refuses matching emails, named unless vague', async () => {
    // Arrange
    sandbox.setOptions({ rejectEmails: /@blocked\.example$/i });

    // Act
    const named = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer(), newCustomer({ email: 'x@BLOCKED.example' })] });
    sandbox.setOptions({ vague422: true });
    const vague = await call<Problem>(sandbox, 'POST', '/customers', { body: [newCustomer({ email: 'y@blocked.example' })] });
    const alone = await call(sandbox, 'POST', '/customers', { body: [newCustomer({ email: 'fine@example.com' })] });

    // Assert
    expect(named.status).toBe(422);
    expect(Object.keys(named.body.errors)).toEqual(['1.email']);
    expect(vague.body.errors).toEqual({ '.customer_create': 'Error creating customers' });
    expect(alone.status).toBe(200);
    expect(sandbox.customers().map((c) => c.email)).toEqual(['fine@example.com']);
  });

  it('shuffleResponses: returns the same customers in another order, deterministically per seed', async () => {
    // Arrange
    sandbox.setOptions({ shuffleResponses: true });
    const input = Array.from({ length: 10 }, () => newCustomer());

    // Act
    const response = await call<{ data: CustomerBody[] }>(sandbox, 'POST', '/customers', { body: input });

    // Assert
    const emails = response.body.data.map((c) => c.email);
    expect(emails).not.toEqual(input.map((c) => c.email));
    expect([...emails].sort()).toEqual(input.map((c) => String(c.email)).sort());
  });
});
