import type * as z from '../zod-mini';
import {
  attributeListSchema,
  type Customer,
  type CustomerAttribute,
  type CustomerCreateInput,
  type CustomerUpdateInput,
  customerListSchema,
  problemBodySchema,
} from './customer';
import { BigCommerceError, type BigCommerceProblem, kindForStatus } from './errors';
import { parseRateLimit, type RateLimitState } from './rate-limit';
import { type Subscriber, type SubscriberCreateInput, type SubscriberUpdateInput, subscriberListSchema, subscriberResponseSchema } from './subscriber';

/**
 * The sync's User-Agent: BigCommerce's logs (and the local sandbox's per-client stats, which the status
 * page's "requests per customer" reads) can tell its requests from anyone else's on the same token.
 */
export const BIGCOMMERCE_USER_AGENT = 'signup-sync';

/** Supplies the store API token; `refresh` forces a new read (after a 401 the token may have been rotated). */
export interface TokenProvider {
  get(): Promise<string>;
  refresh(): Promise<string>;
}

export type ApiResult<T> = Readonly<{ data: T; status: number; rateLimit: RateLimitState | undefined }>;

export type ResponseObserver = (
  info: Readonly<{ method: string; status: number | undefined; kind?: string; rateLimit: RateLimitState | undefined; durationMs: number }>,
) => void;

export type BigCommerceClientOptions = Readonly<{
  apiUrl: string;
  storeHash: string;
  tokens: TokenProvider;
  /** Per-request ceiling; callers may lower it per call to fit the time the Lambda has left. */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Sees every response (status and quota), for pacing and metrics. */
  onResponse?: ResponseObserver;
  onTokenRefresh?: () => void;
}>;

export type RequestOptions = Readonly<{ timeoutMs?: number }>;

/** BigCommerce's GET filters take at most this many values comfortably inside a URL. */
const EMAILS_PER_LOOKUP = 50;
const PAGE_LIMIT = 250;

function problemFrom(body: unknown): BigCommerceProblem | undefined {
  const parsed = problemBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const errors: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data.errors ?? {})) errors[key] = typeof value === 'string' ? value : JSON.stringify(value);
  return { title: parsed.data.title, errors };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/**
 * A small typed client for the Customers v3 endpoints. It never retries a write on its own: whether a
 * failed POST may be re-sent is the sync engine's decision (it reconciles first). The one exception is
 * 401/403, where nothing was written: the token is re-read once and the request repeated.
 */
export class BigCommerceClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: BigCommerceClientOptions) {
    this.baseUrl = `${options.apiUrl.replace(/\/+$/, '')}/stores/${encodeURIComponent(options.storeHash)}/v3`;
    this.fetchFn = options.fetch ?? fetch;
  }

  createCustomers(customers: readonly CustomerCreateInput[], options?: RequestOptions): Promise<ApiResult<Customer[]>> {
    return this.request('POST', '/customers', customerListSchema, customers, options).then((result) => ({ ...result, data: result.data.data }));
  }

  updateCustomers(customers: readonly CustomerUpdateInput[], options?: RequestOptions): Promise<ApiResult<Customer[]>> {
    return this.request('PUT', '/customers', customerListSchema, customers, options).then((result) => ({ ...result, data: result.data.data }));
  }

  /** Every customer with one of these emails (any channel), following pages. */
  async findCustomersByEmail(emails: readonly string[], options?: RequestOptions): Promise<ApiResult<Customer[]>> {
    const unique = [...new Set(emails.map((email) => email.toLowerCase()))];
    const found: Customer[] = [];
    let last: ApiResult<unknown> | undefined;
    for (let start = 0; start < unique.length; start += EMAILS_PER_LOOKUP) {
      const filter = unique
        .slice(start, start + EMAILS_PER_LOOKUP)
        .map(encodeURIComponent)
        .join(',');
      for (let page = 1; ; page += 1) {
        const result = await this.request('GET', `/customers?email:in=${filter}&limit=${PAGE_LIMIT}&page=${page}`, customerListSchema, undefined, options);
        last = result;
        found.push(...result.data.data);
        const totalPages = result.data.meta?.pagination?.total_pages ?? 1;
        if (page >= totalPages || result.data.data.length === 0) break;
      }
    }
    return { data: found, status: last?.status ?? 200, rateLimit: last?.rateLimit };
  }

  /**
   * POST /v3/customers/subscribers: one subscriber per request (BigCommerce has no batch). 409 = the
   * email is already a subscriber (kind `conflict`). There is deliberately no delete method: DELETE on
   * the collection without a filter removes every subscriber of the store.
   */
  createSubscriber(subscriber: SubscriberCreateInput, options?: RequestOptions): Promise<ApiResult<Subscriber>> {
    return this.request('POST', '/customers/subscribers', subscriberResponseSchema, subscriber, options).then((result) => ({
      ...result,
      data: result.data.data,
    }));
  }

  /** PUT /v3/customers/subscribers/{id} (idempotent). */
  updateSubscriber(id: number, update: SubscriberUpdateInput, options?: RequestOptions): Promise<ApiResult<Subscriber>> {
    return this.request('PUT', `/customers/subscribers/${id}`, subscriberResponseSchema, update, options).then((result) => ({
      ...result,
      data: result.data.data,
    }));
  }

  /** The subscribers with this email (BigCommerce's `email` filter), first page of up to 250. */
  async findSubscribersByEmail(email: string, options?: RequestOptions): Promise<ApiResult<Subscriber[]>> {
    const result = await this.request(
      'GET',
      `/customers/subscribers?email=${encodeURIComponent(email.toLowerCase())}&limit=${PAGE_LIMIT}`,
      subscriberListSchema,
      undefined,
      options,
    );
    return { ...result, data: result.data.data };
  }

  async findAttributesByName(names: readonly string[], options?: RequestOptions): Promise<ApiResult<CustomerAttribute[]>> {
    const filter = names.map(encodeURIComponent).join(',');
    const result = await this.request('GET', `/customers/attributes?name:in=${filter}&limit=${PAGE_LIMIT}`, attributeListSchema, undefined, options);
    return { ...result, data: result.data.data };
  }

  private async request<S extends z.ZodMiniType>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    schema: S,
    body: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResult<z.output<S>>> {
    let token = await this.readToken(() => this.options.tokens.get());
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.send(method, path, schema, body, token, options);
      } catch (error) {
        if (!(error instanceof BigCommerceError) || error.kind !== 'unauthorized' || attempt > 1) throw error;
        // A 401/403 wrote nothing; the secret may have been rotated since we cached it.
        this.options.onTokenRefresh?.();
        token = await this.readToken(() => this.options.tokens.refresh());
      }
    }
  }

  /** No usable token (empty secret, no access, Secrets Manager down) is a configuration problem, like a 401. */
  private async readToken(read: () => Promise<string>): Promise<string> {
    try {
      return await read();
    } catch (error) {
      throw new BigCommerceError(
        'unauthorized',
        `The API token could not be read: ${error instanceof Error ? error.message : 'unknown error'}`,
        {},
        { cause: error },
      );
    }
  }

  private async send<S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S,
    body: unknown,
    token: string,
    options: RequestOptions,
  ): Promise<ApiResult<z.output<S>>> {
    const started = Date.now();
    const timeoutMs = Math.max(1, Math.min(options.timeoutMs ?? this.options.timeoutMs, this.options.timeoutMs));
    const observe = (status: number | undefined, rateLimit: RateLimitState | undefined, kind?: string) =>
      this.options.onResponse?.({ method, status, kind, rateLimit, durationMs: Date.now() - started });
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers: {
          'x-auth-token': token,
          accept: 'application/json',
          'user-agent': BIGCOMMERCE_USER_AGENT,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const kind = isTimeout(error) ? 'timeout' : 'network';
      observe(undefined, undefined, kind);
      throw new BigCommerceError(kind, `${method} ${path.split('?')[0]} failed: ${kind}`, {}, { cause: error });
    }
    const rateLimit = parseRateLimit(response.headers);
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const kind = kindForStatus(response.status);
      observe(response.status, rateLimit, kind);
      const problem = problemFrom(json);
      throw new BigCommerceError(kind, `${method} ${path.split('?')[0]} answered ${response.status}${problem?.title ? `: ${problem.title}` : ''}`, {
        status: response.status,
        rateLimit,
        problem,
      });
    }
    observe(response.status, rateLimit);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      // A 2xx we cannot read: the write probably happened, so the engine must reconcile before re-sending.
      throw new BigCommerceError('unexpected', `${method} ${path.split('?')[0]} answered ${response.status} with an unreadable body`, {
        status: response.status,
        rateLimit,
      });
    }
    return { data: parsed.data, status: response.status, rateLimit };
  }
}
