import { normalizeEmail } from '../shared/consent/consent-keys';
import { CliError } from './errors';

/**
 * `signup-sync forget --bigcommerce`: the one place this product deletes anything in BigCommerce
 * (the sync's client has no DELETE at all). Found by email, deleted by id only:
 * - customers: `DELETE /v3/customers?id:in=<ids>` (BigCommerce's Customers API documents `id:in` as the
 *   required filter of its collection DELETE; without one it deletes nothing);
 * - subscribers: `DELETE /v3/customers/subscribers/<id>`, one by one. The Subscribers collection DELETE
 *   documents only email, names, source, order and date filters, no `id:in`, and deletes every
 *   subscriber of the store when it gets no filter it knows: so it is never called.
 * Every record found is checked to carry exactly this email before its id is used.
 */

export type BigCommerceStore = Readonly<{ apiUrl: string; storeHash: string; token: string }>;

export type StoreRecords = Readonly<{
  customers: readonly Readonly<{ id: number; email: string; channelIds?: readonly number[] }>[];
  subscribers: readonly Readonly<{ id: number; email: string; channelId?: number }>[];
}>;

const USER_AGENT = 'signup-sync-forget';

async function call(store: BigCommerceStore, method: 'GET' | 'DELETE', path: string, fetchFn: typeof fetch): Promise<unknown> {
  const url = `${store.apiUrl.replace(/\/+$/, '')}/stores/${encodeURIComponent(store.storeHash)}${path}`;
  let response: Response;
  try {
    response = await fetchFn(url, {
      method,
      headers: { 'x-auth-token': store.token, accept: 'application/json', 'user-agent': USER_AGENT },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CliError(`BigCommerce did not answer ${method} ${path.split('?')[0]} (${(error as Error).name})`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new CliError(`BigCommerce answered ${response.status} to ${method} ${path.split('?')[0]}`);
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`BigCommerce answered ${method} ${path.split('?')[0]} with something that is not JSON`);
  }
}

const dataOf = (body: unknown): Record<string, unknown>[] =>
  typeof body === 'object' && body !== null && Array.isArray((body as { data?: unknown }).data)
    ? ((body as { data: unknown[] }).data.filter((item) => typeof item === 'object' && item !== null) as Record<string, unknown>[])
    : [];

const isId = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

/** The customers and subscribers with exactly this email (in every channel). */
export async function findPersonInStore(store: BigCommerceStore, email: string, fetchFn: typeof fetch = fetch): Promise<StoreRecords> {
  const target = normalizeEmail(email);
  const query = encodeURIComponent(target);
  const customers = dataOf(await call(store, 'GET', `/v3/customers?email:in=${query}&limit=250`, fetchFn))
    .filter((customer) => isId(customer['id']) && typeof customer['email'] === 'string' && normalizeEmail(customer['email']) === target)
    .map((customer) => ({
      id: customer['id'] as number,
      email: target,
      ...(Array.isArray(customer['channel_ids']) ? { channelIds: (customer['channel_ids'] as unknown[]).filter(isId) } : {}),
    }));
  const subscribers = dataOf(await call(store, 'GET', `/v3/customers/subscribers?email=${query}&limit=250`, fetchFn))
    .filter((subscriber) => isId(subscriber['id']) && typeof subscriber['email'] === 'string' && normalizeEmail(subscriber['email']) === target)
    .map((subscriber) => ({
      id: subscriber['id'] as number,
      email: target,
      ...(isId(subscriber['channel_id']) ? { channelId: subscriber['channel_id'] } : {}),
    }));
  return { customers, subscribers };
}

/** Deletes exactly these records by id; never a collection DELETE without ids. */
export async function deleteFromStore(
  store: BigCommerceStore,
  records: StoreRecords,
  fetchFn: typeof fetch = fetch,
): Promise<Readonly<{ customers: number; subscribers: number }>> {
  const customerIds = records.customers.map((customer) => customer.id).filter(isId);
  if (customerIds.length > 0) await call(store, 'DELETE', `/v3/customers?id:in=${customerIds.join(',')}`, fetchFn);
  let subscribers = 0;
  for (const subscriber of records.subscribers) {
    if (!isId(subscriber.id)) continue;
    await call(store, 'DELETE', `/v3/customers/subscribers/${subscriber.id}`, fetchFn);
    subscribers += 1;
  }
  return { customers: customerIds.length, subscribers };
}
