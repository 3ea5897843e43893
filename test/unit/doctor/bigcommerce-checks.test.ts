import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import {
  bigCommerceChecks,
  checkAttributes,
  checkChannels,
  checkCustomerGroups,
  checkCustomerSettings,
  checkCustomersRead,
  checkCustomersWrite,
  checkRateLimit,
  checkSubscribersWrite,
  checkToken,
  probeBigCommerce,
} from '../../../ops/doctor/bigcommerce-checks';
import { createProbe } from '../../../ops/doctor/bigcommerce-probe';
import type { DoctorSettings } from '../../../ops/doctor/types';

/** Each BigCommerce check against the sandbox: once healthy, once with the switch that makes it fail. */

const TOKEN = 'doctor-unit-token-3f9a1c2e7b';

const SETTINGS: DoctorSettings = {
  customFieldMap: { 'Favourite colour': { attribute: 'Colour' }, Referral: { formField: 'How did you hear about us?' } },
  maxConcurrency: 2,
  maxReceiveCount: 5,
  sources: [{ id: 'webflow-main', kind: 'webflow', fieldMap: { colour: 'custom:Favourite colour', size: 'custom:Shirt size' } }],
};

let sandbox: BigCommerceSandbox;

beforeEach(async () => {
  sandbox = await startBigCommerceSandbox({ tokens: [TOKEN], channels: [1, 2], store: { customerGroups: [{ id: 4, name: 'Newsletter' }] } });
  sandbox.seedAttributes([{ name: 'Colour', type: 'string' }]);
});
afterEach(() => sandbox.close());

/** With the write probes (`doctor --probe-writes`), which most checks here are about; readOnlyAnswers: doctor's default. */
const answers = (settings: DoctorSettings = SETTINGS, token = TOKEN, storeHash = sandbox.storeHash) =>
  probeBigCommerce(createProbe({ apiUrl: sandbox.url, storeHash, token }), settings, { probeWrites: true });
const readOnlyAnswers = (token = TOKEN) => probeBigCommerce(createProbe({ apiUrl: sandbox.url, storeHash: sandbox.storeHash, token }), SETTINGS);
const context = (settings: DoctorSettings = SETTINGS) => ({ storeHash: sandbox.storeHash, apiUrl: sandbox.url, settings });

describe('bigcommerce.token', () => {
  it("passes for the store's token", async () => {
    expect(checkToken(await answers(), context())).toMatchObject({ status: 'pass' });
  });

  it('fails for an unknown token (401), and the other checks are skipped', async () => {
    const checks = bigCommerceChecks(await answers(SETTINGS, 'not-a-valid-token-at-all'), context());
    expect(checks[0]).toMatchObject({ id: 'bigcommerce.token', status: 'fail', summary: expect.stringContaining('401') });
    expect(checks[0]!.fix).toBeDefined();
    expect(checks.slice(1).every((check) => check.status === 'skipped')).toBe(true);
  });

  it('fails for a token of another store (403 on every read)', async () => {
    sandbox.setStore({ foreignTokens: ['other-store-token-0123456789'] });
    const check = checkToken(await answers(SETTINGS, 'other-store-token-0123456789'), context());
    expect(check).toMatchObject({ status: 'fail', summary: expect.stringContaining('another store') });
  });

  it('fails for a store hash with no store (404)', async () => {
    const check = checkToken(await answers(SETTINGS, TOKEN, 'nosuchstore'), context());
    expect(check).toMatchObject({ status: 'fail', summary: expect.stringContaining('404') });
  });
});

describe('bigcommerce.customers-read', () => {
  it('passes with the scope', async () => {
    expect(checkCustomersRead(await answers())).toMatchObject({ status: 'pass' });
  });
  it('fails without it (403)', async () => {
    sandbox.setStore({ deniedScopes: ['customers-read'] });
    expect(checkCustomersRead(await answers())).toMatchObject({ status: 'fail', fix: expect.stringContaining('Customers') });
  });
});

describe('bigcommerce.customers-write', () => {
  it('passes when the empty test body is refused as invalid (422), and nothing is created', async () => {
    expect(checkCustomersWrite(await answers())).toMatchObject({ status: 'pass' });
    expect(sandbox.customers()).toEqual([]);
  });
  it('fails when the write is forbidden (403, read-only token)', async () => {
    sandbox.setTokens([TOKEN], ['read-only-token-0123456789']);
    expect(checkCustomersWrite(await answers(SETTINGS, 'read-only-token-0123456789'))).toMatchObject({ status: 'fail' });
    sandbox.setStore({ deniedScopes: ['customers-write'] });
    expect(checkCustomersWrite(await answers())).toMatchObject({ status: 'fail', summary: expect.stringContaining('403') });
  });
  it('is unconfirmed for an answer BigCommerce does not document (500)', async () => {
    sandbox.setFaults({ script: [500], methods: ['POST'] });
    expect(checkCustomersWrite(await answers())).toMatchObject({ status: 'unconfirmed' });
  });
});

describe('the write checks without --probe-writes (read-only)', () => {
  it('are unconfirmed for a token that can read, since a read-only scope reads as much', async () => {
    const read = await readOnlyAnswers();
    expect(read.customersWrite).toBeUndefined();
    expect(read.subscribersWrite).toBeUndefined();
    expect(checkCustomersWrite(read)).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('GET /v3/customers answered 200') });
    expect(checkSubscribersWrite(read)).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('--probe-writes') });
    sandbox.setTokens([TOKEN], ['read-only-token-0123456789']);
    expect(checkCustomersWrite(await readOnlyAnswers('read-only-token-0123456789'))).toMatchObject({ status: 'unconfirmed' });
  });
  it('fail when the token cannot even read (403 on the GET: no Customers scope at all)', async () => {
    sandbox.setStore({ deniedScopes: ['customers-read'] });
    const read = await readOnlyAnswers();
    expect(checkCustomersWrite(read)).toMatchObject({ status: 'fail', fix: expect.stringContaining('Customers: modify') });
    expect(checkSubscribersWrite(read)).toMatchObject({ status: 'fail' });
  });
});

describe('bigcommerce.subscribers-write', () => {
  it('passes when the empty subscriber is refused as invalid (422)', async () => {
    expect(checkSubscribersWrite(await answers())).toMatchObject({ status: 'pass' });
  });
  it('fails when subscriber writes are forbidden (403)', async () => {
    sandbox.setStore({ deniedScopes: ['subscribers-write'] });
    expect(checkSubscribersWrite(await answers())).toMatchObject({ status: 'fail' });
  });
});

describe('bigcommerce.channels', () => {
  const withChannels = (ids: number[]): DoctorSettings => ({ ...SETTINGS, customerChannelIds: ids });
  it('passes when every configured channel exists and is active', async () => {
    expect(checkChannels(await answers(withChannels([1, 2])), withChannels([1, 2]))).toMatchObject({ status: 'pass' });
  });
  it("fails for a missing channel, including one from a source's customer defaults", async () => {
    const settings: DoctorSettings = { ...withChannels([1]), sources: [{ id: 'partner', kind: 'standard-webhooks', customerDefaults: { channelIds: [7] } }] };
    expect(checkChannels(await answers(settings), settings)).toMatchObject({ status: 'fail', summary: expect.stringContaining('7 does not exist') });
  });
  it('fails for an inactive channel', async () => {
    sandbox.setStore({ channelStatuses: { '2': 'inactive' } });
    expect(checkChannels(await answers(withChannels([2])), withChannels([2]))).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('2 is inactive'),
    });
  });
  it('is unconfirmed when the token may not list channels (a scope the sync does not need)', async () => {
    sandbox.setStore({ deniedScopes: ['channels-read'] });
    expect(checkChannels(await answers(withChannels([1])), withChannels([1]))).toMatchObject({
      status: 'unconfirmed',
      summary: expect.stringContaining('403'),
    });
  });
  it('is skipped when no channel is configured', async () => {
    expect(checkChannels(await answers(), SETTINGS)).toMatchObject({ status: 'skipped' });
  });
});

describe('bigcommerce.customer-groups', () => {
  it('passes for an existing group', async () => {
    const settings = { ...SETTINGS, customerGroupId: 4 };
    expect(checkCustomerGroups(await answers(settings))).toMatchObject({ status: 'pass' });
  });
  it('fails for a missing group', async () => {
    const settings = { ...SETTINGS, customerGroupId: 9 };
    expect(checkCustomerGroups(await answers(settings))).toMatchObject({ status: 'fail', summary: expect.stringContaining('9') });
  });
  it('is skipped when no group (or group 0) is configured', async () => {
    expect(checkCustomerGroups(await answers({ ...SETTINGS, customerGroupId: 0 }))).toMatchObject({ status: 'skipped' });
  });
});

describe('bigcommerce.attributes', () => {
  it('passes when every mapped attribute exists as a string, and names custom fields that go to the notes', async () => {
    const check = checkAttributes(await answers(), SETTINGS);
    expect(check).toMatchObject({ status: 'pass', summary: expect.stringContaining('Colour') });
    expect(check.summary).toContain('Shirt size');
  });
  it('fails for an attribute the store does not define', async () => {
    const settings = { ...SETTINGS, customFieldMap: { ...SETTINGS.customFieldMap, Size: { attribute: 'Size' } } };
    expect(checkAttributes(await answers(settings), settings)).toMatchObject({ status: 'fail', summary: expect.stringContaining('Size') });
  });
  it('is unconfirmed for an attribute of another type (number)', async () => {
    sandbox.seedAttributes([{ name: 'Age', type: 'number' }]);
    const settings = { ...SETTINGS, customFieldMap: { Age: { attribute: 'Age' } } };
    expect(checkAttributes(await answers(settings), settings)).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('Age (number)') });
  });
});

describe('bigcommerce.customer-settings', () => {
  it('passes with global access when channel 1 allows global logins (its default)', async () => {
    expect(checkCustomerSettings(await answers(), SETTINGS)).toMatchObject({ status: 'pass', summary: expect.stringContaining('global access') });
  });
  it('fails with global access when the origin channel does not allow global logins', async () => {
    sandbox.setStore({ allowGlobalLogins: { '1': false } });
    expect(checkCustomerSettings(await answers(), SETTINGS)).toMatchObject({ status: 'fail', fix: expect.stringContaining('customerChannelIds') });
  });
  it('is unconfirmed when the channel inherits the store-wide value', async () => {
    sandbox.setStore({ allowGlobalLogins: { '1': null } });
    expect(checkCustomerSettings(await answers(), SETTINGS)).toMatchObject({ status: 'unconfirmed' });
  });
  it('passes per channel when channel ids are configured', async () => {
    const settings = { ...SETTINGS, customerChannelIds: [2] };
    expect(checkCustomerSettings(await answers(settings), settings)).toMatchObject({ status: 'pass', summary: expect.stringContaining('per channel') });
  });
});

describe('bigcommerce.rate-limit', () => {
  it('reads the quota and the drain rate at maxConcurrency', async () => {
    const check = checkRateLimit(await answers(), SETTINGS);
    expect(check).toMatchObject({ status: 'pass', summary: expect.stringContaining('Quota 150 requests per 30 s') });
    expect(check.summary).toContain('~50 signups/s');
  });
  it('fails when the quota is below maxConcurrency', async () => {
    sandbox.setOptions({ rateLimit: { quota: 1, windowMs: 30_000 } });
    const probeAnswers = await answers();
    expect(checkRateLimit(probeAnswers, SETTINGS)).toMatchObject({ status: 'fail' });
  });
  it('is unconfirmed without rate-limit headers', async () => {
    sandbox.setOptions({ rateLimit: false });
    expect(checkRateLimit(await answers(), SETTINGS)).toMatchObject({ status: 'unconfirmed' });
  });
});
