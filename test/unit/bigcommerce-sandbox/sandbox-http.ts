// Small fetch helpers for the sandbox tests: real HTTP, no client library, so the tests see exactly
// what a client on the wire would see.
import type { BigCommerceSandbox } from '../../../local/bigcommerce-sandbox';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Problem {
  status: number;
  title: string;
  type: string;
  errors: Record<string, string>;
}

export interface CustomerBody {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  channel_ids: number[] | null;
  origin_channel_id: number;
  date_created: string;
  date_modified: string;
  addresses?: Array<Record<string, unknown>>;
  attributes?: Array<Record<string, unknown>>;
  form_fields?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

export interface Pagination {
  total: number;
  count: number;
  per_page: number;
  current_page: number;
  total_pages: number;
  links: { current: string; next?: string; previous?: string };
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  storeHash?: string;
}

export async function call<T = unknown>(sandbox: BigCommerceSandbox, method: string, path: string, options: CallOptions = {}): Promise<HttpResult<T>> {
  const token = options.token === undefined ? sandbox.token : options.token;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (token !== null) headers['X-Auth-Token'] = token;
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  if (hasBody && headers['Content-Type'] === undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${sandbox.url}/stores/${options.storeHash ?? sandbox.storeHash}/v3${path}`, {
    method,
    headers,
    ...(hasBody ? { body: options.rawBody ?? JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export async function control<T = unknown>(sandbox: BigCommerceSandbox, method: 'GET' | 'POST', name: string, body?: unknown): Promise<HttpResult<T>> {
  const response = await fetch(`${sandbox.url}/__sandbox/${name}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

let counter = 0;

/** A valid create payload with a unique email; override any field. */
export function newCustomer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return { email: `person${counter}@example.com`, first_name: 'Ada', last_name: 'Lovelace', ...overrides };
}

export function validAddress(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { first_name: 'Ada', last_name: 'Lovelace', address1: '1 Main St', city: 'London', country_code: 'GB', ...overrides };
}
