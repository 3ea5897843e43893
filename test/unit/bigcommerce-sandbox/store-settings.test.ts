import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { call, control } from './sandbox-http';

/** The store configuration endpoints and the switches `signup-sync doctor` is tested with. */

let sandbox: BigCommerceSandbox;
beforeEach(async () => {
  sandbox = await startBigCommerceSandbox({ channels: [1, 3], store: { customerGroups: [{ id: 2, name: 'Wholesale' }], defaultCustomerGroupId: 2 } });
});
afterEach(() => sandbox.close());

const v2 = async (path: string, token = sandbox.token) => {
  const response = await fetch(`${sandbox.url}/stores/${sandbox.storeHash}/v2${path}`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
  return { status: response.status, body: (await response.json()) as unknown };
};

describe('store configuration endpoints', () => {
  it('lists the configured channels with their statuses (Channels v3 shape)', async () => {
    sandbox.setStore({ channelStatuses: { '3': 'archived' } });
    const { status, body } = await call<{ data: { id: number; status: string; type: string }[]; meta: unknown }>(sandbox, 'GET', '/channels');
    expect(status).toBe(200);
    expect(body.data.map(({ id, status: channelStatus, type }) => ({ id, status: channelStatus, type }))).toEqual([
      { id: 1, status: 'active', type: 'storefront' },
      { id: 3, status: 'archived', type: 'storefront' },
    ]);
  });

  it('answers customer settings, store-wide and per channel (global logins on channel 1 only by default)', async () => {
    const global = await call<{ data: { customer_group_settings: { default_customer_group_id: number } } }>(sandbox, 'GET', '/customers/settings');
    expect(global.body.data.customer_group_settings.default_customer_group_id).toBe(2);
    const one = await call<{ data: { allow_global_logins: boolean | null } }>(sandbox, 'GET', '/customers/settings/channels/1');
    const three = await call<{ data: { allow_global_logins: boolean | null } }>(sandbox, 'GET', '/customers/settings/channels/3');
    expect([one.body.data.allow_global_logins, three.body.data.allow_global_logins]).toEqual([true, false]);
    expect((await call(sandbox, 'GET', '/customers/settings/channels/9')).status).toBe(404);
  });

  it('answers a customer group by id on the v2 API, 404 for an unknown one', async () => {
    expect(await v2('/customer_groups/2')).toMatchObject({ status: 200, body: { id: 2, name: 'Wholesale' } });
    expect((await v2('/customer_groups/5')).status).toBe(404);
  });
});

describe('switches', () => {
  it('denied scopes answer 403 on the matching requests only', async () => {
    await control(sandbox, 'POST', 'store', { deniedScopes: ['customers-read', 'subscribers-write'] });
    expect((await call(sandbox, 'GET', '/customers')).status).toBe(403);
    expect((await call(sandbox, 'GET', '/customers/settings')).status).toBe(403);
    expect((await v2('/customer_groups/2')).status).toBe(403);
    expect((await call(sandbox, 'POST', '/customers/subscribers', { body: {} })).status).toBe(403);
    expect((await call(sandbox, 'POST', '/customers', { body: [{}] })).status).toBe(422);
    expect((await call(sandbox, 'GET', '/channels')).status).toBe(200);
  });

  it('a token of another store gets 403 everywhere, without spending the quota', async () => {
    await control(sandbox, 'POST', 'store', { foreignTokens: ['token-of-another-store'] });
    const answer = await call(sandbox, 'GET', '/customers', { token: 'token-of-another-store' });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('x-rate-limit-requests-left')).toBeNull();
    expect((await call(sandbox, 'GET', '/channels', { token: 'token-of-another-store' })).status).toBe(403);
  });

  it('GET /__sandbox/token gives the current token; a bad store setup is a 400 naming the field', async () => {
    expect((await control<{ token: string }>(sandbox, 'GET', 'token')).body.token).toBe(sandbox.token);
    expect(await control(sandbox, 'POST', 'store', { channelStatuses: { '1': 'sleeping' } })).toMatchObject({
      status: 400,
      body: { issues: [expect.stringContaining('channelStatuses.1')] },
    });
  });
});
