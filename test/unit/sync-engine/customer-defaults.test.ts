import type { ApiResult } from '../../../shared/bigcommerce/client';
import type { Customer, CustomerCreateInput } from '../../../shared/bigcommerce/customer';
import { BigCommerceError } from '../../../shared/bigcommerce/errors';
import type { SignupMessage } from '../../../shared/signup/signup-schema';
import { type CustomerOptions, DEFAULT_CUSTOMER_OPTIONS, toCustomerCreate } from '../../../shared/sync/customer-mapping';
import { createQuotaPacer } from '../../../shared/sync/quota-pacer';
import { type CustomerApi, type SubscriberApi, syncSignups } from '../../../shared/sync/sync-engine';
import { aSignupMessage } from '../../helpers/events';

/** Per-source customer defaults carried in the message win over the sync's global customer options. */

const GLOBAL: CustomerOptions = { ...DEFAULT_CUSTOMER_OPTIONS, channelIds: [1], customerGroupId: 3, sendWelcomeEmail: false };

/** A CustomerApi that creates whatever it is sent and records the bodies. */
function recordingApi(existing: Customer[] = []) {
  const created: CustomerCreateInput[][] = [];
  let nextId = 100;
  const ok = <T>(data: T): ApiResult<T> => ({ data, status: 200, rateLimit: undefined });
  const unused = async (): Promise<never> => {
    throw new Error('these signups carry no marketing consent: no subscriber request expected');
  };
  const api: CustomerApi & SubscriberApi = {
    createSubscriber: unused,
    updateSubscriber: unused,
    findSubscribersByEmail: unused,
    createCustomers: async (customers) => {
      created.push([...customers]);
      return ok(customers.map((customer) => ({ id: ++nextId, email: customer.email, channel_ids: customer.channel_ids ? [...customer.channel_ids] : null })));
    },
    updateCustomers: async (customers) => ok(customers.map((customer) => ({ id: customer.id, email: 'x@example.com' }))),
    findCustomersByEmail: async (emails) => ok(existing.filter((customer) => emails.includes(customer.email))),
  };
  return { api, created };
}

const sync = (messages: SignupMessage[], api: CustomerApi & SubscriberApi) =>
  syncSignups(
    messages.map((message) => ({ id: message.id, message })),
    { api, pacer: createQuotaPacer(), remainingTimeMs: () => 30_000 },
    { conflictPolicy: 'skip', customer: GLOBAL, attributeIds: new Map(), requestTimeoutMs: 1_000 },
  );

describe('source customer defaults', () => {
  it('toCustomerCreate lays the message defaults over the global options, field by field', () => {
    // Arrange
    const { signup } = aSignupMessage({ email: 'ada@example.com' });

    // Act
    const withDefaults = toCustomerCreate(signup, GLOBAL, new Map(), { channel_ids: [2, 5], send_welcome_email: true });
    const without = toCustomerCreate(signup, GLOBAL, new Map());

    // Assert
    expect(withDefaults).toMatchObject({ channel_ids: [2, 5], customer_group_id: 3, trigger_account_created_notification: true });
    expect(without).toMatchObject({ channel_ids: [1], customer_group_id: 3, trigger_account_created_notification: false });
  });

  it('creates each customer with its own source defaults, and the global ones for messages without', async () => {
    // Arrange
    const { api, created } = recordingApi();
    const fromForm = aSignupMessage(
      { email: 'form@example.com' },
      { source: { id: 'shop-form', kind: 'html-form', customer_defaults: { channel_ids: [7], customer_group_id: 9, send_welcome_email: true } } },
    );
    const fromApi = aSignupMessage({ email: 'api@example.com' });

    // Act
    const outcomes = await sync([fromForm, fromApi], api);

    // Assert: one request, two customers, each with its settings.
    expect([...outcomes.values()].map((outcome) => outcome.status)).toEqual(['created', 'created']);
    expect(created).toHaveLength(1);
    const byEmail = new Map(created[0]!.map((customer) => [customer.email, customer]));
    expect(byEmail.get('form@example.com')).toMatchObject({ channel_ids: [7], customer_group_id: 9, trigger_account_created_notification: true });
    expect(byEmail.get('api@example.com')).toMatchObject({ channel_ids: [1], customer_group_id: 3, trigger_account_created_notification: false });
  });

  it('takes the defaults of the latest message when one email arrives from several sources', async () => {
    // Arrange: the newer message is listed first; receive time decides, as for the merged fields.
    const { api, created } = recordingApi();
    const older = aSignupMessage(
      { email: 'twice@example.com', first_name: 'Old' },
      { received_at: '2026-07-29T10:00:00.000Z', source: { id: 'a', kind: 'typeform', customer_defaults: { channel_ids: [4], customer_group_id: 8 } } },
    );
    const newer = aSignupMessage(
      { email: 'twice@example.com', first_name: 'New' },
      { received_at: '2026-07-29T11:00:00.000Z', source: { id: 'b', kind: 'kit', customer_defaults: { channel_ids: [6] } } },
    );

    // Act
    const outcomes = await sync([newer, older], api);

    // Assert: one customer; the newer source's channels, the global group (the newer source sets none).
    expect(outcomes.get(newer.id)).toEqual(outcomes.get(older.id));
    expect(created).toEqual([[expect.objectContaining({ email: 'twice@example.com', first_name: 'New', channel_ids: [6], customer_group_id: 3 })]]);
  });

  it("settles an existing customer as existed only in the group's own channels", async () => {
    // Arrange: the email exists in channel 1 (the global channel), the source creates in channel 7.
    const { api, created } = recordingApi([{ id: 55, email: 'seen@example.com', channel_ids: [1] }]);
    const lookups = jest.spyOn(api, 'findCustomersByEmail');
    const fromSource = aSignupMessage(
      { email: 'seen@example.com' },
      { source: { id: 'shop-form', kind: 'html-form', customer_defaults: { channel_ids: [7] } } },
    );
    const failing: CustomerApi & SubscriberApi = {
      ...api,
      // First POST fails with a 500: the engine must look up before re-sending.
      createCustomers: jest
        .fn()
        .mockRejectedValueOnce(new BigCommerceError('server', 'BigCommerce answered 500', { status: 500 }))
        .mockImplementation(api.createCustomers),
    };

    // Act
    const outcomes = await sync([fromSource], failing);

    // Assert: the channel-1 customer is not "the same" customer; a channel-7 one is created.
    expect(lookups).toHaveBeenCalled();
    expect(outcomes.get(fromSource.id)).toMatchObject({ status: 'created' });
    expect(created.at(-1)).toEqual([expect.objectContaining({ email: 'seen@example.com', channel_ids: [7] })]);
  });

  it('maps the abandoned-cart consent to BigCommerce and leaves it out when unknown', () => {
    const consenting = aSignupMessage({ consent: { marketing: true, abandoned_cart: false } }).signup;
    expect(toCustomerCreate(consenting, GLOBAL, new Map())).toMatchObject({ accepts_product_review_abandoned_cart_emails: false });
    expect(toCustomerCreate(aSignupMessage().signup, GLOBAL, new Map())).not.toHaveProperty('accepts_product_review_abandoned_cart_emails');
  });
});
