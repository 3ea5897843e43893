import { parseRateLimit } from '../../shared/bigcommerce/rate-limit';
import { describeAnswer, type Probe, type ProbeResult } from './bigcommerce-probe';
import { configuredChannelIds, configuredCustomerGroupIds, sourceFacts } from './settings';
import type { CheckResult, DoctorSettings } from './types';

/**
 * The BigCommerce checks. By default each reads the answers of a few GETs only: doctor sends nothing but
 * reads to the store. BigCommerce's read-only scopes allow exactly the GETs a modify scope allows, and no
 * endpoint lists a token's scopes, so whether the token may *write* customers and subscribers cannot be
 * proved read-only: with `--probe-writes` (and only then) two write probes that BigCommerce must refuse
 * (bodies without the required fields) tell it, after doctor said what it will send (WRITE_PROBES).
 * Which published document confirms the answer each relies on: docs/operations.md, "Preflight".
 */

/** BigCommerce's largest POST /v3/customers batch (the sync sends up to this many per request). */
const CUSTOMERS_PER_REQUEST = 10;
const PAGE_LIMIT = 250;

export type BigCommerceAnswers = Readonly<{
  customersRead: ProbeResult;
  /** GET /v3/customers/subscribers?limit=1 (absent from answers gathered before it was asked). */
  subscribersRead?: ProbeResult;
  /** The write probes: only with --probe-writes. */
  customersWrite?: ProbeResult;
  subscribersWrite?: ProbeResult;
  attributes: ProbeResult;
  channels: ProbeResult;
  globalSettings: ProbeResult;
  channelSettings: ReadonlyMap<number, ProbeResult>;
  customerGroups: ReadonlyMap<number, ProbeResult>;
}>;

export type BigCommerceContext = Readonly<{ storeHash: string; apiUrl: string; settings: DoctorSettings }>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const dataOf = (result: ProbeResult): unknown => (isRecord(result.body) ? result.body['data'] : undefined);
const list = (ids: readonly (number | string)[]) => ids.join(', ');

/** The channel whose settings decide global access when no channel ids are configured. */
export const originChannel = (settings: DoctorSettings): number => settings.customerOriginChannelId ?? settings.customerChannelIds?.[0] ?? 1;

/**
 * The write probes `--probe-writes` sends, and only it: refused when the token lacks the scope (403) and,
 * with it, as invalid (422): a customer needs email, first_name and last_name and a subscriber an email,
 * so BigCommerce cannot create anything from these bodies.
 */
export const WRITE_PROBES = [
  { method: 'POST', path: '/v3/customers', body: [{}], needs: 'a customer needs email, first_name and last_name' },
  { method: 'POST', path: '/v3/customers/subscribers', body: {}, needs: 'a subscriber needs an email' },
] as const;

/** What doctor says before it sends the write probes (stderr, so --json output stays JSON). */
export function describeWriteProbes(storeHash: string): string {
  return [
    `doctor --probe-writes: sending ${WRITE_PROBES.length} write requests to store ${storeHash} that BigCommerce must refuse, so nothing is written:`,
    ...WRITE_PROBES.map(
      (write) => `  ${write.method} ${write.path} with the body ${JSON.stringify(write.body)} (${write.needs}): 422 = the token may write, 403 = it may not`,
    ),
  ].join('\n');
}

/** Asks BigCommerce everything the checks read, a few requests at a time (the quota is shared); writes only with `probeWrites`. */
export async function probeBigCommerce(
  probe: Probe,
  settings: DoctorSettings,
  { probeWrites = false }: Readonly<{ probeWrites?: boolean }> = {},
): Promise<BigCommerceAnswers> {
  const customersRead = await probe('GET', '/v3/customers?limit=1');
  const subscribersRead = await probe('GET', '/v3/customers/subscribers?limit=1');
  const [customersProbe, subscribersProbe] = WRITE_PROBES;
  const customersWrite = probeWrites ? await probe(customersProbe.method, customersProbe.path, customersProbe.body) : undefined;
  const subscribersWrite = probeWrites ? await probe(subscribersProbe.method, subscribersProbe.path, subscribersProbe.body) : undefined;
  const attributes = await probe('GET', `/v3/customers/attributes?limit=${PAGE_LIMIT}`);
  const channels = await probe('GET', `/v3/channels?limit=${PAGE_LIMIT}`);
  const globalSettings = await probe('GET', '/v3/customers/settings');
  const channelSettings = new Map<number, ProbeResult>();
  for (const id of settings.customerChannelIds ?? [originChannel(settings)])
    channelSettings.set(id, await probe('GET', `/v3/customers/settings/channels/${id}`));
  const customerGroups = new Map<number, ProbeResult>();
  for (const id of configuredCustomerGroupIds(settings)) customerGroups.set(id, await probe('GET', `/v2/customer_groups/${id}`));
  return {
    customersRead,
    subscribersRead,
    ...(customersWrite ? { customersWrite } : {}),
    ...(subscribersWrite ? { subscribersWrite } : {}),
    attributes,
    channels,
    globalSettings,
    channelSettings,
    customerGroups,
  };
}

/** The token works (not 401) and belongs to this store (not 403 on everything). */
export function checkToken(answers: BigCommerceAnswers, context: BigCommerceContext): CheckResult {
  const id = 'bigcommerce.token';
  const reads = [answers.customersRead, answers.attributes, answers.globalSettings, answers.channels];
  if (reads.some((read) => read.status === 200)) {
    return { id, status: 'pass', summary: `BigCommerce accepts the token for store ${context.storeHash}` };
  }
  const first = answers.customersRead;
  if (first.status === 401) {
    return {
      id,
      status: 'fail',
      summary: 'BigCommerce refused the token (401: missing or invalid)',
      fix: 'Put the access token of a store-level API account (Settings > Store-level API accounts) where the sync reads it: the token secret (TokenSecretArn), or SIGNUP_SYNC_BIGCOMMERCE_TOKEN with --store-hash',
    };
  }
  if (first.status === 404) {
    return {
      id,
      status: 'fail',
      summary: `No store ${context.storeHash} at ${context.apiUrl} (404)`,
      fix: 'Set signupSync.storeHash in cdk.json (or --store-hash) to the hash in your API path: https://api.bigcommerce.com/stores/<hash>/v3/',
    };
  }
  if (reads.every((read) => read.status === 403)) {
    return {
      id,
      status: 'fail',
      summary: `Every read answered 403 for store ${context.storeHash}: the token belongs to another store, or has no scopes`,
      fix: `Create the API account in the control panel of store ${context.storeHash} with Customers: modify, and use its token (or correct the store hash)`,
    };
  }
  return { id, status: 'unconfirmed', summary: `Could not tell whether the token works: GET /v3/customers ${describeAnswer(first)}; run doctor again` };
}

export function checkCustomersRead(answers: BigCommerceAnswers): CheckResult {
  const id = 'bigcommerce.customers-read';
  const { status } = answers.customersRead;
  if (status === 200) return { id, status: 'pass', summary: 'The token can read customers (GET /v3/customers answered 200)' };
  if (status === 403) {
    return {
      id,
      status: 'fail',
      summary: 'The token cannot read customers (403): the sync looks customers up by email before and after each write',
      fix: 'Give the API account the Customers: modify scope (store_v2_customers)',
    };
  }
  return { id, status: 'unconfirmed', summary: `GET /v3/customers ${describeAnswer(answers.customersRead)}` };
}

/** 422 = past the permission check and refused for the body; 403 = no permission. */
function writeProbe(id: string, what: string, result: ProbeResult, scope: string): CheckResult {
  if (result.status === 422)
    return { id, status: 'pass', summary: `The token may ${what}: BigCommerce refused an empty test body as invalid (422), not as forbidden` };
  if (result.status === 403)
    return {
      id,
      status: 'fail',
      summary: `The token may not ${what} (403)`,
      fix: `Give the API account the ${scope} scope; a store-level account's scopes cannot be changed, so create a new account and put its token in place`,
    };
  return {
    id,
    status: 'unconfirmed',
    summary: `The write probe ${describeAnswer(result)}, an answer BigCommerce does not document for a body without required fields`,
  };
}

/**
 * Without a write probe (the default): a 403 on the matching GET proves the token cannot write either (a
 * modify scope includes reading); a 200 proves only reading, which a read-only scope allows as well.
 */
function writeUnprobed(id: string, what: string, read: ProbeResult | undefined, readPath: string, scope: string): CheckResult {
  if (read?.status === 403)
    return {
      id,
      status: 'fail',
      summary: `The token may not ${what}: it cannot even read them (GET ${readPath} answered 403), and BigCommerce's modify scope includes reading`,
      fix: `Give the API account the ${scope} scope; a store-level account's scopes cannot be changed, so create a new account and put its token in place`,
    };
  const reads = read?.status === 200 ? `the token can read them (GET ${readPath} answered 200), which a read-only scope allows too; ` : '';
  return {
    id,
    status: 'unconfirmed',
    summary: `Not probed, doctor writes nothing by default: ${reads}no read-only request shows whether it may ${what}. Run doctor --probe-writes to check with a request BigCommerce refuses`,
  };
}

export function checkCustomersWrite(answers: BigCommerceAnswers): CheckResult {
  const scope = 'Customers: modify (store_v2_customers)';
  if (answers.customersWrite === undefined)
    return writeUnprobed('bigcommerce.customers-write', 'create customers', answers.customersRead, '/v3/customers', scope);
  return writeProbe('bigcommerce.customers-write', 'create customers', answers.customersWrite, scope);
}

export function checkSubscribersWrite(answers: BigCommerceAnswers): CheckResult {
  const scope = 'Customers: modify (store_v2_customers, which covers Subscribers)';
  if (answers.subscribersWrite === undefined)
    return writeUnprobed('bigcommerce.subscribers-write', 'create newsletter subscribers', answers.subscribersRead, '/v3/customers/subscribers', scope);
  return writeProbe('bigcommerce.subscribers-write', 'create newsletter subscribers', answers.subscribersWrite, scope);
}

type Channel = Readonly<{ id: number; name: string; status: string }>;
const USABLE_CHANNEL_STATUSES = new Set(['active', 'connected']);

export function checkChannels(answers: BigCommerceAnswers, settings: DoctorSettings): CheckResult {
  const id = 'bigcommerce.channels';
  const wanted = configuredChannelIds(settings);
  if (wanted.length === 0) return { id, status: 'skipped', summary: 'No channel id configured: customers are created on the default storefront (channel 1)' };
  const { channels } = answers;
  if (channels.status === 403) {
    return {
      id,
      status: 'unconfirmed',
      summary: `Cannot list channels (403: the token has no Channel Settings read scope, which the sync itself does not need); channels ${list(wanted)} are unverified`,
    };
  }
  const data = dataOf(channels);
  if (channels.status !== 200 || !Array.isArray(data))
    return { id, status: 'unconfirmed', summary: `GET /v3/channels ${describeAnswer(channels)}; channels ${list(wanted)} are unverified` };
  const known = new Map(
    data
      .filter(isRecord)
      .map((channel) => [
        Number(channel['id']),
        { id: Number(channel['id']), name: String(channel['name'] ?? ''), status: String(channel['status'] ?? '') } satisfies Channel,
      ]),
  );
  const missing = wanted.filter((channel) => !known.has(channel));
  const unusable = wanted
    .map((channel) => known.get(channel))
    .filter((channel): channel is Channel => channel !== undefined && !USABLE_CHANNEL_STATUSES.has(channel.status));
  if (missing.length > 0 || unusable.some((channel) => channel.status !== 'prelaunch')) {
    const problems = [...missing.map((channel) => `${channel} does not exist`), ...unusable.map((channel) => `${channel.id} is ${channel.status}`)];
    return {
      id,
      status: 'fail',
      summary: `Channel ${problems.join('; ')}`,
      fix: "Fix customerChannelIds / customerOriginChannelId in cdk.json or the sources' customerDefaults.channelIds, or activate the channel in BigCommerce (Channel Manager)",
    };
  }
  if (unusable.length > 0) {
    return {
      id,
      status: 'unconfirmed',
      summary: `Channel ${list(unusable.map((channel) => channel.id))} is prelaunch; whether customers can be created on it is not documented`,
    };
  }
  return { id, status: 'pass', summary: `Channel ${list(wanted)} exist and are active` };
}

export function checkCustomerGroups(answers: BigCommerceAnswers): CheckResult {
  const id = 'bigcommerce.customer-groups';
  if (answers.customerGroups.size === 0) return { id, status: 'skipped', summary: 'No customer group configured' };
  const missing: number[] = [];
  const unknown: string[] = [];
  for (const [group, result] of answers.customerGroups) {
    if (result.status === 200) continue;
    if (result.status === 404) missing.push(group);
    else unknown.push(`${group} ${describeAnswer(result)}`);
  }
  if (missing.length > 0) {
    return {
      id,
      status: 'fail',
      summary: `Customer group ${list(missing)} does not exist`,
      fix: "Create the group in BigCommerce (Customers > Customer Groups) or fix customerGroupId in cdk.json / the sources' customerDefaults",
    };
  }
  if (unknown.length > 0) {
    return { id, status: 'unconfirmed', summary: `GET /v2/customer_groups/{id}: ${unknown.join('; ')} (customer groups exist only on some plans)` };
  }
  return { id, status: 'pass', summary: `Customer group ${list([...answers.customerGroups.keys()])} exist` };
}

type Attribute = Readonly<{ name: string; type: string }>;

export function checkAttributes(answers: BigCommerceAnswers, settings: DoctorSettings): CheckResult {
  const id = 'bigcommerce.attributes';
  const targets = Object.values(settings.customFieldMap).flatMap((target) => ('attribute' in target ? [target.attribute] : []));
  const names = [...new Set(targets)].sort();
  const customNames = new Set(sourceFacts(settings).flatMap((source) => source.customNames));
  const toNotes = [...customNames].filter((name) => !(name in settings.customFieldMap)).sort();
  const notesNote = toNotes.length > 0 ? `; custom field(s) ${toNotes.join(', ')} have no customFieldMap entry and go to the customer notes` : '';
  if (names.length === 0) return { id, status: 'skipped', summary: `No custom field maps to a customer attribute${notesNote}` };
  const data = dataOf(answers.attributes);
  if (answers.attributes.status !== 200 || !Array.isArray(data)) {
    return {
      id,
      status: 'unconfirmed',
      summary: `GET /v3/customers/attributes ${describeAnswer(answers.attributes)}; attribute(s) ${names.join(', ')} are unverified`,
    };
  }
  const defined = new Map(
    data
      .filter(isRecord)
      .map((attribute) => [String(attribute['name']), { name: String(attribute['name']), type: String(attribute['type']) } satisfies Attribute]),
  );
  const missing = names.filter((name) => !defined.has(name));
  if (missing.length > 0) {
    return {
      id,
      status: 'fail',
      summary: `Customer attribute(s) ${missing.join(', ')} not defined in the store: every signup with that custom field would be refused`,
      fix: 'Create the attribute(s) in BigCommerce (type string; Customers > Customer attributes or POST /v3/customers/attributes), or fix customFieldMap in cdk.json',
    };
  }
  // Form values arrive as text; a number or date attribute takes only values that parse as one.
  const strict = names.map((name) => defined.get(name)!).filter((attribute) => attribute.type !== 'string');
  if (strict.length > 0) {
    return {
      id,
      status: 'unconfirmed',
      summary: `Attribute(s) ${strict.map((attribute) => `${attribute.name} (${attribute.type})`).join(', ')} are not of type string: what BigCommerce does with a value that is not a ${strict[0]!.type} is not documented${notesNote}`,
    };
  }
  return { id, status: 'pass', summary: `Customer attribute(s) ${names.join(', ')} exist, of type string${notesNote}` };
}

export function checkCustomerSettings(answers: BigCommerceAnswers, settings: DoctorSettings): CheckResult {
  const id = 'bigcommerce.customer-settings';
  const global = dataOf(answers.globalSettings);
  if (answers.globalSettings.status !== 200 || !isRecord(global)) {
    return { id, status: 'unconfirmed', summary: `GET /v3/customers/settings ${describeAnswer(answers.globalSettings)}` };
  }
  const groups = isRecord(global['customer_group_settings']) ? global['customer_group_settings'] : {};
  const defaultGroup = groups['default_customer_group_id'];
  const defaultGroupNote =
    typeof defaultGroup === 'number' && defaultGroup > 0 && settings.customerGroupId === undefined
      ? `; new customers join the store's default group ${defaultGroup}`
      : '';
  const logins = new Map<number, boolean | null | undefined>();
  for (const [channel, result] of answers.channelSettings) {
    const data = dataOf(result);
    logins.set(channel, result.status === 200 && isRecord(data) ? (data['allow_global_logins'] as boolean | null | undefined) : undefined);
  }
  if (settings.customerChannelIds) {
    return {
      id,
      status: 'pass',
      summary: `Customers are created per channel (${list(settings.customerChannelIds)}): an email is unique per channel${defaultGroupNote}`,
    };
  }
  // No channel ids: customers get global access, which BigCommerce allows only where the channel allows global logins.
  const origin = originChannel(settings);
  const allow = logins.get(origin);
  if (allow === true)
    return {
      id,
      status: 'pass',
      summary: `Customers get global access (one account per email across channels); channel ${origin} allows global logins${defaultGroupNote}`,
    };
  if (allow === false) {
    return {
      id,
      status: 'fail',
      summary: `Channel ${origin} does not allow global logins, but no customerChannelIds are configured (customers would be created with global access)`,
      fix: `Set signupSync.customerChannelIds in cdk.json (e.g. [${origin}]), or enable global logins for channel ${origin} (PUT /v3/customers/settings/channels/${origin})`,
    };
  }
  const answer = answers.channelSettings.get(origin);
  return {
    id,
    status: 'unconfirmed',
    summary:
      answer?.status === 200
        ? `Channel ${origin} does not override allow_global_logins and the store-wide value is not published; customers would be created with global access`
        : `GET /v3/customers/settings/channels/${origin} ${answer ? describeAnswer(answer) : 'was not asked'}`,
  };
}

export function checkRateLimit(answers: BigCommerceAnswers, settings: DoctorSettings): CheckResult {
  const id = 'bigcommerce.rate-limit';
  const answered = [answers.customersRead, answers.attributes, answers.globalSettings].find(
    (result) => result.headers && result.status !== undefined && result.status < 500,
  );
  const state = answered?.headers ? parseRateLimit(answered.headers) : undefined;
  if (state?.quota === undefined || state.windowMs === undefined || state.windowMs <= 0) {
    return {
      id,
      status: 'unconfirmed',
      summary: 'No X-Rate-Limit-* headers in the answers: the quota is unknown (some Enterprise stores have none, or a proxy strips them)',
    };
  }
  const perSecond = state.quota / (state.windowMs / 1000);
  const seconds = Math.round(state.windowMs / 1000);
  const left = state.left === undefined ? '' : `, ${state.left} left now`;
  const base = `Quota ${state.quota} requests per ${seconds} s (${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s, shared by every app on the store${left})`;
  if (state.quota < settings.maxConcurrency) {
    return {
      id,
      status: 'fail',
      summary: `${base}: fewer than maxConcurrency ${settings.maxConcurrency}, so concurrent syncs would keep hitting 429`,
      fix: `Lower signupSync.maxConcurrency in cdk.json to at most ${state.quota}`,
    };
  }
  const drain = Math.floor(perSecond * CUSTOMERS_PER_REQUEST);
  const busy = state.left !== undefined && state.left < state.quota * 0.1 ? '; other apps are spending most of the quota right now' : '';
  return {
    id,
    status: 'pass',
    summary: `${base}: the sync can drain at most ~${drain} signups/s (${CUSTOMERS_PER_REQUEST} per request) with ${settings.maxConcurrency} concurrent syncs keeping ${settings.maxConcurrency - 1} request(s) per window in reserve${busy}`,
  };
}

/** The other checks say nothing useful once the token itself fails. */
export function bigCommerceChecks(answers: BigCommerceAnswers, context: BigCommerceContext): CheckResult[] {
  const token = checkToken(answers, context);
  const rest: Array<[string, () => CheckResult]> = [
    ['bigcommerce.customers-read', () => checkCustomersRead(answers)],
    ['bigcommerce.customers-write', () => checkCustomersWrite(answers)],
    ['bigcommerce.subscribers-write', () => checkSubscribersWrite(answers)],
    ['bigcommerce.channels', () => checkChannels(answers, context.settings)],
    ['bigcommerce.customer-groups', () => checkCustomerGroups(answers)],
    ['bigcommerce.attributes', () => checkAttributes(answers, context.settings)],
    ['bigcommerce.customer-settings', () => checkCustomerSettings(answers, context.settings)],
    ['bigcommerce.rate-limit', () => checkRateLimit(answers, context.settings)],
  ];
  if (token.status === 'fail')
    return [token, ...rest.map(([id]) => ({ id, status: 'skipped' as const, summary: 'Not checked: the token does not work (bigcommerce.token)' }))];
  return [token, ...rest.map(([, check]) => check())];
}

/** Every BigCommerce check skipped, with the reason (no token, no store hash). */
export function skippedBigCommerceChecks(reason: string): CheckResult[] {
  return [
    'token',
    'customers-read',
    'customers-write',
    'subscribers-write',
    'channels',
    'customer-groups',
    'attributes',
    'customer-settings',
    'rate-limit',
  ].map((name) => ({
    id: `bigcommerce.${name}`,
    status: name === 'token' ? ('fail' as const) : ('skipped' as const),
    summary: name === 'token' ? reason : 'Not checked: no usable token',
    ...(name === 'token' ? { fix: 'Put the API token in the token secret, or pass --store-hash and set SIGNUP_SYNC_BIGCOMMERCE_TOKEN' } : {}),
  }));
}
