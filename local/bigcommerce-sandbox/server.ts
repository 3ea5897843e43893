import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as z from 'zod';
import { handleControlRequest } from './control-api';
import { CustomersApi, type EndpointResult, type EndpointSettings } from './customers-api';
import { SandboxOptionsError, SandboxSeedError } from './errors';
import { FaultInjector } from './faults';
import { type ApiResponse, parseJson, problem, readBody, writeResponse } from './http';
import { createPrng, type Prng } from './prng';
import { type QuotaState, RateLimiter } from './rate-limiter';
import { clientOf, StatsRecorder } from './stats';
import { CustomerStore, MAX_ATTRIBUTES_PER_STORE } from './store';
import { StoreSettingsApi } from './store-settings-api';
import { matchSubscribersPath, type SandboxSubscriber, SUBSCRIBER_METHODS, SubscribersApi } from './subscribers-api';
import {
  type BigCommerceSandbox,
  type FaultConfig,
  type FaultKind,
  faultConfigSchema,
  type MutableSandboxOptions,
  type RateLimitConfig,
  type SandboxAttribute,
  type SandboxCustomer,
  type SandboxOptions,
  type SandboxStats,
  type ScopeArea,
  type StoreSetup,
  sandboxOptionsSchema,
  storeSetupSchema,
} from './types';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  storeHash: 'sandbox',
  tokens: ['sandbox-token'],
  rateLimit: { quota: 150, windowMs: 30_000 }, // Standard and Plus plans: 150 requests per 30 s
  timeScale: 1,
  channels: [1],
} as const;

const MAX_BODY_BYTES = 1024 * 1024;
const API_PATH = /^\/stores\/([^/]+)\/(v2|v3)(\/.*)?$/;
const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE']);
/** BigCommerce's documented limit of concurrent PUT /v3/customers requests (per store). */
export const MAX_CONCURRENT_CUSTOMER_PUTS = 3;
const CUSTOMERS_COLLECTION = /^\/stores\/[^/]+\/v3\/customers\/?$/;

type Route = 'customers' | 'attributes' | 'subscribers';
const ROUTES: Record<string, { route: Route; methods: readonly string[] }> = {
  '/customers': { route: 'customers', methods: ['GET', 'POST', 'PUT', 'DELETE'] },
  '/customers/attributes': { route: 'attributes', methods: ['GET', 'POST'] },
};

const SERVER_ERROR_TITLES: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(options)'}: ${issue.message}`);
}

export function parseSandboxOptions(options: unknown): SandboxOptions {
  const parsed = sandboxOptionsSchema.safeParse(options);
  if (!parsed.success) throw new SandboxOptionsError('Invalid BigCommerce sandbox options', describeIssues(parsed.error));
  return parsed.data;
}

export function parseFaultConfig(faults: unknown): FaultConfig {
  const parsed = faultConfigSchema.safeParse(faults);
  if (!parsed.success) throw new SandboxOptionsError('Invalid fault config', describeIssues(parsed.error));
  return parsed.data;
}

const mutableOptionsSchema = sandboxOptionsSchema.pick({
  batch422: true,
  vague422: true,
  rejectEmails: true,
  rateLimit: true,
  timeScale: true,
  shuffleResponses: true,
});

/** Rate-limit headers, with real (scaled) milliseconds so an unmodified client behaves correctly. */
function quotaHeaders(state: QuotaState): Record<string, string> {
  return {
    'X-Rate-Limit-Time-Window-Ms': String(state.windowMs),
    'X-Rate-Limit-Time-Reset-Ms': String(state.resetMs),
    'X-Rate-Limit-Requests-Quota': String(state.quota),
    'X-Rate-Limit-Requests-Left': String(state.left),
  };
}

/**
 * BigCommerce sends X-Retry-After in whole seconds. Deviation: with a scaled clock the sandbox sends
 * seconds with 3 decimals ("0.412"), because whole seconds would make a scaled run wait ~1000x too long.
 */
export function formatRetryAfter(resetMs: number, timeScale: number): string {
  return timeScale === 1 ? String(Math.ceil(resetMs / 1000)) : (resetMs / 1000).toFixed(3);
}

class SandboxServer implements BigCommerceSandbox {
  readonly storeHash: string;
  url = '';
  port = 0;

  private tokens: string[];
  private readOnlyTokens: Set<string>;
  private readonly channels: readonly number[];
  private readonly seed: number;
  private settings: EndpointSettings;
  private rateLimit: RateLimitConfig | false;
  private timeScale: number;
  private limiter: RateLimiter | null;
  private readonly faults: FaultInjector;
  private shuffleRandom: Prng;
  private readonly store = new CustomerStore();
  private readonly statsRecorder = new StatsRecorder();
  private readonly api: CustomersApi;
  private readonly subscribersApi: SubscribersApi;
  private storeSetup: StoreSetup;
  private readonly storeApi: StoreSettingsApi;
  private readonly server: Server;
  // Requests left unanswered on purpose ('hang') and pending latency timers: close() ends both.
  private readonly hanging = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | null = null;
  private customerPutsInFlight = 0;

  constructor(private readonly options: SandboxOptions) {
    this.storeHash = options.storeHash ?? DEFAULTS.storeHash;
    this.tokens = [...(options.tokens ?? DEFAULTS.tokens)];
    this.readOnlyTokens = new Set(options.readOnlyTokens ?? []);
    this.channels = [...(options.channels ?? DEFAULTS.channels)];
    // Unseeded runs draw one seed for both streams and report it in stats(), so a run can be replayed.
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.settings = {
      channels: this.channels,
      batch422: options.batch422 ?? 'atomic',
      vague422: options.vague422 ?? false,
      shuffleResponses: options.shuffleResponses ?? false,
      rejectEmails: options.rejectEmails,
    };
    this.rateLimit = options.rateLimit ?? DEFAULTS.rateLimit;
    this.timeScale = options.timeScale ?? DEFAULTS.timeScale;
    this.limiter = this.rateLimit === false ? null : new RateLimiter(this.rateLimit, this.timeScale);
    this.faults = new FaultInjector(this.seed);
    this.faults.configure(options.faults ?? {});
    this.shuffleRandom = this.newShuffleRandom();
    this.api = new CustomersApi(
      this.store,
      () => this.settings,
      () => this.shuffleRandom,
    );
    this.subscribersApi = new SubscribersApi(() => this.channels);
    this.storeSetup = options.store ?? {};
    this.storeApi = new StoreSettingsApi(
      () => this.channels,
      () => this.storeSetup,
    );
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A sandbox bug must be loud, not look like a BigCommerce 500 the client would retry.
        console.error('bigcommerce-sandbox: unhandled error', error);
        writeResponse(res, problem(500, 'Sandbox internal error'));
      });
    });
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? DEFAULTS.host;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? DEFAULTS.port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.port = address.port;
    const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
    this.url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${this.port}`;
  }

  get token(): string {
    return this.tokens[0] ?? '';
  }

  customers(): SandboxCustomer[] {
    return structuredClone(this.store.all());
  }

  customerCount(): number {
    return this.store.size;
  }

  seedCustomers(customers: Partial<SandboxCustomer>[]): SandboxCustomer[] {
    return structuredClone(customers.map((c) => this.store.seed(c, this.channels[0] as number)));
  }

  attributes(): SandboxAttribute[] {
    return structuredClone(this.store.allAttributes());
  }

  seedAttributes(attributes: Array<Pick<SandboxAttribute, 'name' | 'type'>>): SandboxAttribute[] {
    if (this.store.attributeCount + attributes.length > MAX_ATTRIBUTES_PER_STORE) {
      throw new SandboxSeedError(`seed: a store holds at most ${MAX_ATTRIBUTES_PER_STORE} customer attributes`);
    }
    return attributes.map(({ name, type }) => {
      if (this.store.findAttributeByName(name) !== undefined) throw new SandboxSeedError(`seed: attribute ${name} already exists`);
      return { ...this.store.insertAttribute(name, type) };
    });
  }

  subscribers(): SandboxSubscriber[] {
    return this.subscribersApi.all();
  }

  seedSubscribers(subscribers: Partial<SandboxSubscriber>[]): SandboxSubscriber[] {
    return this.subscribersApi.seed(subscribers);
  }

  unfilteredSubscriberDeletes(): number {
    return this.subscribersApi.unfilteredDeleteCount;
  }

  setFaults(faults: FaultConfig): void {
    this.faults.configure(parseFaultConfig(faults));
  }

  setTokens(tokens: string[], readOnlyTokens?: string[]): void {
    const parsed = sandboxOptionsSchema.pick({ tokens: true, readOnlyTokens: true }).safeParse({ tokens, readOnlyTokens });
    if (!parsed.success) throw new SandboxOptionsError('Invalid tokens', describeIssues(parsed.error));
    this.tokens = [...tokens];
    if (readOnlyTokens !== undefined) this.readOnlyTokens = new Set(readOnlyTokens);
  }

  setStore(setup: StoreSetup): void {
    const parsed = storeSetupSchema.safeParse(setup);
    if (!parsed.success) throw new SandboxOptionsError('Invalid store setup', describeIssues(parsed.error));
    this.storeSetup = { ...this.storeSetup, ...parsed.data };
  }

  setOptions(options: MutableSandboxOptions): void {
    const parsed = mutableOptionsSchema.safeParse(options);
    if (!parsed.success) throw new SandboxOptionsError('Invalid BigCommerce sandbox options', describeIssues(parsed.error));
    const o = parsed.data;
    if (o.batch422 !== undefined) this.settings = { ...this.settings, batch422: o.batch422 };
    if (o.vague422 !== undefined) this.settings = { ...this.settings, vague422: o.vague422 };
    if (o.shuffleResponses !== undefined) this.settings = { ...this.settings, shuffleResponses: o.shuffleResponses };
    // A present key with an undefined value clears the pattern.
    if ('rejectEmails' in options) this.settings = { ...this.settings, rejectEmails: o.rejectEmails };
    if (o.rateLimit !== undefined || o.timeScale !== undefined) {
      // A changed quota or clock starts from a fresh window: mixing two configurations in one window has no meaning.
      this.rateLimit = o.rateLimit ?? this.rateLimit;
      this.timeScale = o.timeScale ?? this.timeScale;
      this.limiter = this.rateLimit === false ? null : new RateLimiter(this.rateLimit, this.timeScale);
    }
  }

  stats(options: { logLimit?: number } = {}): SandboxStats {
    const state = this.limiter?.peek();
    return this.statsRecorder.snapshot(state === undefined ? null : { ...state }, this.seed, options.logLimit);
  }

  reset(): void {
    this.store.clear();
    this.subscribersApi.clear();
    this.statsRecorder.clear();
    this.faults.configure({});
    this.limiter?.reset();
    this.shuffleRandom = this.newShuffleRandom();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      for (const res of this.hanging) res.destroy();
      this.hanging.clear();
      // Keep-alive sockets (idle or mid-request) would otherwise hold the process open.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private denied(scope: ScopeArea): boolean {
    return this.storeSetup.deniedScopes?.includes(scope) ?? false;
  }

  private newShuffleRandom(): Prng {
    // A separate stream from the faults: turning shuffles on must not change which requests fail.
    return createPrng(this.seed ^ 0x5bd1e995);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname === '/__sandbox' || url.pathname.startsWith('/__sandbox/')) {
      await handleControlRequest(req, res, url, this);
      return;
    }
    const method = req.method ?? 'GET';
    const client = clientOf(req.headers['user-agent']);
    const log = (status: number, items = 0, fault?: FaultKind) => this.statsRecorder.record({ method, path: url.pathname, status, items, fault, client });

    if (method === 'PUT' && CUSTOMERS_COLLECTION.test(url.pathname)) {
      // The limit is documented, BigCommerce's answer beyond it is not: the sandbox reads it as its usual
      // 429 without quota headers (load, not quota), and counts a PUT in flight until its answer is gone.
      if (this.customerPutsInFlight >= MAX_CONCURRENT_CUSTOMER_PUTS) {
        writeResponse(res, problem(429, `Too many concurrent requests: at most ${MAX_CONCURRENT_CUSTOMER_PUTS} PUT /customers at a time`));
        log(429);
        return;
      }
      this.customerPutsInFlight += 1;
      res.once('close', () => {
        this.customerPutsInFlight -= 1;
      });
    }

    const latency = this.faults.latencyMs;
    if (latency > 0) await this.delay(latency);
    if (this.closing) return;

    const match = API_PATH.exec(url.pathname);
    if (match === null || match[1] !== this.storeHash) {
      // Another store (or no store): its quota is not ours, so no rate-limit headers.
      writeResponse(res, problem(404, 'Store not found'));
      log(404);
      return;
    }

    const token = req.headers['x-auth-token'];
    const tokenValue = Array.isArray(token) ? token[0] : token;
    const readOnly = tokenValue !== undefined && this.readOnlyTokens.has(tokenValue);
    if (tokenValue !== undefined && this.storeSetup.foreignTokens?.includes(tokenValue)) {
      // A valid token of another store: refused as forbidden, spending nothing of this store's quota.
      writeResponse(res, problem(403, "You don't have a required scope to access the endpoint"));
      log(403);
      return;
    }
    if (tokenValue === undefined || (!this.tokens.includes(tokenValue) && !readOnly)) {
      // Unauthenticated calls do not spend the store's quota (else anyone could exhaust it).
      this.answer(res, problem(401, 'Authentication information is missing or invalid'), this.limiter?.peek());
      log(401);
      return;
    }

    const admission = this.limiter?.admit();
    if (admission !== undefined && !admission.allowed) {
      this.answerTooMany(res, admission.state);
      log(429);
      return;
    }
    const quota = admission?.state;

    const version = match[2] as 'v2' | 'v3';
    const path = match[3] ?? '/';
    const storeRoute = this.storeApi.route(version, method, path);
    if (storeRoute !== undefined) {
      if (this.denied(storeRoute.scope)) {
        this.answer(res, problem(403, "You don't have a required scope to access the endpoint"), quota);
        log(403);
        return;
      }
      const outcome = storeRoute.run();
      this.answer(res, outcome.response, quota);
      log(outcome.response.status, outcome.items);
      return;
    }
    const subscribersRoute = version === 'v3' ? matchSubscribersPath(path) : undefined;
    const route = subscribersRoute
      ? { route: 'subscribers' as const, methods: subscribersRoute.id === undefined ? SUBSCRIBER_METHODS.collection : SUBSCRIBER_METHODS.item }
      : version === 'v3'
        ? ROUTES[path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path]
        : undefined;
    if (route === undefined) {
      this.answer(res, problem(404, 'The requested resource was not found'), quota);
      log(404);
      return;
    }
    if (!route.methods.includes(method)) {
      this.answer(res, { ...problem(405, 'Method Not Allowed'), headers: { Allow: route.methods.join(', ') } }, quota);
      log(405);
      return;
    }
    const write = WRITE_METHODS.has(method);
    const scope: ScopeArea = write ? (route.route === 'subscribers' ? 'subscribers-write' : 'customers-write') : 'customers-read';
    if ((readOnly && write) || this.denied(scope)) {
      this.answer(res, problem(403, "You don't have a required scope to access the endpoint"), quota);
      log(403);
      return;
    }

    const fault = this.faults.draw(method);
    switch (fault) {
      case 'hang': {
        // Never answered: the client's timeout fires; close() destroys the socket.
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        log(0, 0, fault);
        return;
      }
      case 'reset': {
        // Let the request arrive whole, then drop the connection with a TCP RST (the client sees ECONNRESET).
        await readBody(req, MAX_BODY_BYTES);
        req.socket.resetAndDestroy();
        log(0, 0, fault);
        return;
      }
      case 'revoked-401': {
        this.limiter?.refund();
        this.answer(res, problem(401, 'Authentication information is missing or invalid'), this.limiter?.peek());
        log(401, 0, fault);
        return;
      }
      case 429: {
        this.limiter?.refund();
        this.answerTooMany(res, quota === undefined ? undefined : { ...quota, left: 0 });
        log(429, 0, fault);
        return;
      }
      case 413: {
        await readBody(req, MAX_BODY_BYTES);
        this.answer(res, problem(413, 'The request body is too large.'), quota);
        log(413, 0, fault);
        return;
      }
      case 500:
      case 502:
      case 503:
      case 504: {
        this.answer(res, problem(fault, SERVER_ERROR_TITLES[fault] ?? 'Server Error'), quota);
        log(fault, 0, fault);
        return;
      }
      case 'none':
      case 'created-then-500':
        break;
    }

    const outcome = await this.runEndpoint(req, method, route.route, url.searchParams, path);
    this.statsRecorder.addCreated(outcome.created);
    this.statsRecorder.addUpdated(outcome.updated);
    if (fault === 'created-then-500') {
      // The write happened in full; only the answer is lost (so a client must look up before re-sending).
      this.answer(res, problem(500, SERVER_ERROR_TITLES[500] as string), quota);
      log(500, outcome.items, fault);
      return;
    }
    this.answer(res, outcome.response, quota);
    log(outcome.response.status, outcome.items);
  }

  private async runEndpoint(req: IncomingMessage, method: string, route: Route, query: URLSearchParams, path: string): Promise<EndpointResult> {
    const subscribersRoute = route === 'subscribers' ? matchSubscribersPath(path) : undefined;
    if (subscribersRoute && (method === 'GET' || method === 'DELETE')) return this.subscribersApi.handle(method, subscribersRoute, query, undefined);
    if (route === 'customers' && method === 'DELETE') return this.api.deleteCustomers(query);
    if (method === 'GET') return route === 'customers' ? this.api.listCustomers(query) : this.api.listAttributes(query);
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      await readBody(req, MAX_BODY_BYTES);
      return { response: problem(415, 'Content-Type must be application/json'), items: 0, created: 0, updated: 0 };
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body.ok) {
      return { response: problem(413, 'The request body is too large.'), items: 0, created: 0, updated: 0 };
    }
    const parsed = parseJson(body.text);
    if (!parsed.ok) {
      return { response: problem(422, 'JSON data is missing or invalid', { body: 'error.json.invalid' }), items: 0, created: 0, updated: 0 };
    }
    if (subscribersRoute) return this.subscribersApi.handle(method, subscribersRoute, query, parsed.value);
    if (route === 'attributes') return this.api.createAttributes(parsed.value);
    return method === 'POST' ? this.api.createCustomers(parsed.value) : this.api.updateCustomers(parsed.value);
  }

  private answer(res: ServerResponse, response: ApiResponse, quota: QuotaState | undefined): void {
    writeResponse(res, response, quota === undefined ? {} : quotaHeaders(quota));
  }

  private answerTooMany(res: ServerResponse, state: QuotaState | undefined): void {
    const headers = state === undefined ? {} : { ...quotaHeaders(state), 'X-Retry-After': formatRetryAfter(state.resetMs, this.timeScale) };
    writeResponse(res, { ...problem(429, 'Too many requests'), headers });
  }
}

/** Starts the sandbox on a real HTTP port (default: a random free one on 127.0.0.1). */
export async function startBigCommerceSandbox(options: SandboxOptions = {}): Promise<BigCommerceSandbox> {
  const sandbox = new SandboxServer(parseSandboxOptions(options));
  await sandbox.listen();
  return sandbox;
}
