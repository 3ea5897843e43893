import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { type CustomerBody, call, newCustomer, type Pagination, type Problem, validAddress } from './sandbox-http';

interface Page<T> {
  data: T[];
  meta: { pagination: Pagination };
}

interface AttributeBody {
  id: number;
  name: string;
  type: string;
}

describe('BigCommerce sandbox: GET/PUT /customers and attributes', () => {
  let sandbox: BigCommerceSandbox;

  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: false, channels: [1, 2] });
  });

  beforeEach(() => {
    sandbox.reset();
    sandbox.setOptions({ batch422: 'atomic', vague422: false });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  describe('GET /customers', () => {
    it('pages with page and limit, and links to the neighbours', async () => {
      // Arrange
      sandbox.seedCustomers(Array.from({ length: 7 }, (_, i) => ({ email: `p${i}@example.com` })));

      // Act
      const first = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?limit=3');
      const middle = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?limit=3&page=2');
      const last = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?limit=3&page=3');
      const beyond = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?limit=3&page=4');

      // Assert
      expect(first.body.data.map((c) => c.id)).toEqual([1, 2, 3]);
      expect(first.body.meta.pagination).toEqual({
        total: 7,
        count: 3,
        per_page: 3,
        current_page: 1,
        total_pages: 3,
        links: { current: '?page=1&limit=3', next: '?page=2&limit=3' },
      });
      expect(middle.body.data.map((c) => c.id)).toEqual([4, 5, 6]);
      expect(middle.body.meta.pagination.links).toEqual({ previous: '?page=1&limit=3', current: '?page=2&limit=3', next: '?page=3&limit=3' });
      expect(last.body.data.map((c) => c.id)).toEqual([7]);
      expect(last.body.meta.pagination.links.next).toBeUndefined();
      expect(beyond.body.data).toEqual([]);
    });

    it('defaults to 50 per page and caps the limit at 250', async () => {
      // Arrange
      sandbox.seedCustomers(Array.from({ length: 260 }, () => ({})));

      // Act
      const byDefault = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers');
      const capped = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?limit=1000');

      // Assert
      expect(byDefault.body.data).toHaveLength(50);
      expect(byDefault.body.meta.pagination.total_pages).toBe(6);
      expect(capped.body.data).toHaveLength(250);
      expect(capped.body.meta.pagination.per_page).toBe(250);
    });

    it('answers 422 for a page or limit that is not a positive integer', async () => {
      // Act
      const response = await call<Problem>(sandbox, 'GET', '/customers?page=0&limit=abc');

      // Assert
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors).sort()).toEqual(['limit', 'page']);
    });

    it('omits addresses, attributes and form fields unless included', async () => {
      // Arrange
      const [plan] = sandbox.seedAttributes([{ name: 'Plan', type: 'string' }]);
      await call(sandbox, 'POST', '/customers', {
        body: [
          newCustomer({
            addresses: [validAddress()],
            attributes: [{ attribute_id: plan?.id, attribute_value: 'gold' }],
            form_fields: [{ name: 'source', value: 'fair' }],
          }),
        ],
      });

      // Act
      const plain = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers');
      const included = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?include=addresses,attributes,formfields');
      const onlyAddresses = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?include=addresses');

      // Assert
      const [bare] = plain.body.data;
      expect(bare).not.toHaveProperty('addresses');
      expect(bare).not.toHaveProperty('attributes');
      expect(bare).not.toHaveProperty('form_fields');
      expect(bare).toMatchObject({ address_count: 1, attribute_count: 1 });
      expect(included.body.data[0]).toMatchObject({
        addresses: [expect.objectContaining({ address1: '1 Main St', customer_id: 1 })],
        attributes: [expect.objectContaining({ attribute_value: 'gold' })],
        form_fields: [{ name: 'source', value: 'fair' }],
      });
      expect(onlyAddresses.body.data[0]).toHaveProperty('addresses');
      expect(onlyAddresses.body.data[0]).not.toHaveProperty('attributes');
    });

    it('filters by email:in (percent-decoded, case-insensitive) and id:in', async () => {
      // Arrange
      sandbox.seedCustomers([
        { email: 'a+tag@example.com', channel_ids: [1] },
        { email: 'a+tag@example.com', channel_ids: [2] },
        { email: 'b@example.com' },
        { email: 'c@example.com' },
      ]);

      // Act
      const byEmail = await call<Page<CustomerBody>>(sandbox, 'GET', `/customers?email:in=${encodeURIComponent('A+TAG@example.com')},b%40example.com`);
      const byId = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?id:in=4,2,99');
      const both = await call<Page<CustomerBody>>(sandbox, 'GET', '/customers?email:in=a%2Btag%40example.com&id:in=2');
      const badId = await call<Problem>(sandbox, 'GET', '/customers?id:in=x');

      // Assert
      expect(byEmail.body.data.map((c) => [c.id, c.channel_ids])).toEqual([
        [1, [1]],
        [2, [2]],
        [3, null],
      ]);
      expect(byEmail.body.meta.pagination.links.current).toBe('?email:in=A%2BTAG%40example.com%2Cb%40example.com&page=1&limit=50');
      expect(byId.body.data.map((c) => c.id)).toEqual([2, 4]);
      expect(both.body.data.map((c) => c.id)).toEqual([2]);
      expect(badId.status).toBe(422);
    });
  });

  describe('PUT /customers', () => {
    it('updates by id, ignores read-only fields and keeps the rest', async () => {
      // Arrange
      const [ada] = sandbox.seedCustomers([{ email: 'ada@example.com', first_name: 'Ada', company: 'Engines', date_modified: '2020-01-01T00:00:00Z' }]);

      // Act
      const response = await call<{ data: CustomerBody[] }>(sandbox, 'PUT', '/customers', {
        body: [{ id: ada?.id, last_name: 'King', email: 'Ada.King@Example.com', origin_channel_id: 2, date_created: '1999-01-01T00:00:00Z' }],
      });

      // Assert
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual([
        expect.objectContaining({ id: ada?.id, email: 'ada.king@example.com', first_name: 'Ada', last_name: 'King', company: 'Engines', origin_channel_id: 1 }),
      ]);
      const [stored] = sandbox.customers();
      expect(stored?.date_created).toBe(ada?.date_created);
      expect(stored?.date_modified).not.toBe('2020-01-01T00:00:00Z');
      expect(sandbox.stats().customersUpdated).toBe(1);
    });

    it('answers 422 "<i>.id": "error.path.missing" when an id is missing', async () => {
      // Arrange
      const [ada] = sandbox.seedCustomers([{ email: 'ada@example.com' }]);

      // Act
      const response = await call<Problem>(sandbox, 'PUT', '/customers', { body: [{ id: ada?.id, first_name: 'A' }, { first_name: 'B' }] });

      // Assert
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual({ '1.id': 'error.path.missing' });
      expect(sandbox.customers()[0]?.first_name).toBe('Seed');
    });

    it('answers 422 "<i>.id": "invalid customer ID" for an unknown id', async () => {
      // Act
      const response = await call<Problem>(sandbox, 'PUT', '/customers', { body: [{ id: 404, first_name: 'Nobody' }] });

      // Assert
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ title: 'Update customers failed.', errors: { '0.id': 'invalid customer ID' } });
    });

    it('applies the field limits', async () => {
      // Arrange
      const [ada] = sandbox.seedCustomers([{ email: 'ada@example.com' }]);

      // Act
      const response = await call<Problem>(sandbox, 'PUT', '/customers', { body: [{ id: ada?.id, phone: 'x'.repeat(51) }] });

      // Assert
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual({ '0.phone': 'must be at most 50 characters' });
    });

    it('refuses an email change onto a taken email, and partial mode still applies the good items', async () => {
      // Arrange
      const [a, b] = sandbox.seedCustomers([{ email: 'a@example.com' }, { email: 'b@example.com' }]);

      // Act
      const atomic = await call<Problem>(sandbox, 'PUT', '/customers', {
        body: [
          { id: a?.id, first_name: 'Changed' },
          { id: b?.id, email: 'A@example.com' },
        ],
      });
      sandbox.setOptions({ batch422: 'partial' });
      const partial = await call<Problem>(sandbox, 'PUT', '/customers', {
        body: [
          { id: a?.id, first_name: 'Changed' },
          { id: b?.id, email: 'a@example.com' },
        ],
      });

      // Assert
      expect(atomic.status).toBe(422);
      expect(atomic.body.errors).toEqual({ '.customer_update': 'Error updating customers: email a@example.com already in use' });
      expect(partial.status).toBe(422);
      expect(sandbox.customers().map((c) => [c.email, c.first_name])).toEqual([
        ['a@example.com', 'Changed'],
        ['b@example.com', 'Seed'],
      ]);
    });

    it('allows swapping into an email freed earlier in the same batch', async () => {
      // Arrange
      const [a, b] = sandbox.seedCustomers([{ email: 'a@example.com' }, { email: 'b@example.com' }]);

      // Act
      const response = await call(sandbox, 'PUT', '/customers', {
        body: [
          { id: a?.id, email: 'new-a@example.com' },
          { id: b?.id, email: 'a@example.com' },
        ],
      });

      // Assert
      expect(response.status).toBe(200);
      expect(sandbox.customers().map((c) => c.email)).toEqual(['new-a@example.com', 'a@example.com']);
    });

    it('answers 413 above 10 items', async () => {
      // Act
      const response = await call<Problem>(sandbox, 'PUT', '/customers', { body: Array.from({ length: 11 }, (_, i) => ({ id: i + 1 })) });

      // Assert
      expect(response.status).toBe(413);
    });
  });

  describe('/customers/attributes', () => {
    it('creates attributes and lists them with name and name:in filters', async () => {
      // Act
      const created = await call<{ data: AttributeBody[] }>(sandbox, 'POST', '/customers/attributes', {
        body: [
          { name: 'Plan', type: 'string' },
          { name: 'Seats', type: 'number' },
          { name: 'Renewal', type: 'date' },
        ],
      });
      const byName = await call<Page<AttributeBody>>(sandbox, 'GET', '/customers/attributes?name=Seats');
      const byNames = await call<Page<AttributeBody>>(sandbox, 'GET', '/customers/attributes?name:in=Plan,Renewal');

      // Assert
      expect(created.status).toBe(200);
      expect(created.body.data).toEqual([
        expect.objectContaining({ id: 1, name: 'Plan', type: 'string' }),
        expect.objectContaining({ id: 2, name: 'Seats', type: 'number' }),
        expect.objectContaining({ id: 3, name: 'Renewal', type: 'date' }),
      ]);
      expect(byName.body.data.map((a) => a.id)).toEqual([2]);
      expect(byNames.body.data.map((a) => a.name)).toEqual(['Plan', 'Renewal']);
      expect(byNames.body.meta.pagination.total).toBe(2);
    });

    it('validates name, type and uniqueness', async () => {
      // Arrange
      sandbox.seedAttributes([{ name: 'Plan', type: 'string' }]);

      // Act
      const response = await call<Problem>(sandbox, 'POST', '/customers/attributes', {
        body: [
          { name: '', type: 'string' },
          { name: 'Colour', type: 'colour' },
          { name: 'Plan', type: 'string' },
        ],
      });

      // Assert
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors).sort()).toEqual(['0.name', '1.type', '2.name']);
      expect(sandbox.attributes()).toHaveLength(1);
    });

    it('holds at most 50 attributes per store', async () => {
      // Arrange
      sandbox.seedAttributes(Array.from({ length: 49 }, (_, i) => ({ name: `a${i}`, type: 'string' as const })));

      // Act
      const tooMany = await call<Problem>(sandbox, 'POST', '/customers/attributes', {
        body: [
          { name: 'x', type: 'string' },
          { name: 'y', type: 'string' },
        ],
      });
      const last = await call(sandbox, 'POST', '/customers/attributes', { body: [{ name: 'x', type: 'string' }] });

      // Assert
      expect(tooMany.status).toBe(422);
      expect(tooMany.body.errors['.attribute_create']).toMatch(/50/);
      expect(last.status).toBe(200);
      expect(sandbox.attributes()).toHaveLength(50);
    });
  });
});
