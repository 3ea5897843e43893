import * as z from 'zod';
import type { EndpointResult } from './customers-api';
import { type ApiResponse, json, problem } from './http';

/**
 * BigCommerce's Subscribers v3 endpoints (newsletter consent), as the published spec describes them
 * (local/bigcommerce-sandbox/README.md, docs/subscribers.md):
 * - POST /v3/customers/subscribers: ONE object per request; 409 when the email is already a
 *   subscriber; 422 when a field is invalid; 200 `{ data: subscriber }`;
 * - GET /v3/customers/subscribers?email=…|id:in=…&page&limit; GET/PUT/DELETE …/subscribers/{id};
 * - DELETE /v3/customers/subscribers without a filter deletes every subscriber of the store. The
 *   sandbox treats that as a bug in the caller: it refuses with a 500, deletes nothing, counts it
 *   (`unfilteredSubscriberDeletes()`) and writes to stderr, so a test that sends one fails loudly. The
 *   spec lists that DELETE's filters (email, first_name, last_name, source, order_id, date_created,
 *   date_modified): `id:in` is not among them (only GET takes it), so a DELETE filtered by `id:in` alone
 *   is an unfiltered one for all the spec promises, and trapped the same way. Deleting by id is
 *   DELETE …/subscribers/{id}.
 * The shared quota, auth and fault injection are the server's, as for customers.
 */

export type SandboxSubscriberConsent = 'marketing_newsletter' | 'abandoned_cart';

export interface SandboxSubscriber {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  source: 'storefront' | 'order' | 'custom';
  order_id: number | null;
  channel_id: number;
  consents: SandboxSubscriberConsent[];
  date_created: string;
  date_modified: string;
}

const SUBSCRIBERS_PATH = /^\/customers\/subscribers(?:\/(\d+))?\/?$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;

const subscriberFields = {
  email: z.string().min(3).max(250).regex(EMAIL_PATTERN, { error: 'error.email' }),
  first_name: z.string().max(255).optional(),
  last_name: z.string().max(255).optional(),
  source: z.enum(['storefront', 'order', 'custom']).optional(),
  order_id: z.int().positive().nullable().optional(),
  channel_id: z.int().positive().optional(),
  consents: z.array(z.enum(['marketing_newsletter', 'abandoned_cart'])).optional(),
};
const createSchema = z.looseObject(subscriberFields);
const updateSchema = z.looseObject({ ...subscriberFields, email: subscriberFields.email.optional() });

export type SubscribersRoute = Readonly<{ id: number | undefined }>;

/** Whether a v3 path belongs to the Subscribers API, and which record it names. */
export function matchSubscribersPath(path: string): SubscribersRoute | undefined {
  const match = SUBSCRIBERS_PATH.exec(path);
  if (match === null) return undefined;
  return { id: match[1] === undefined ? undefined : Number(match[1]) };
}

export const SUBSCRIBER_METHODS = { collection: ['GET', 'POST', 'DELETE'], item: ['GET', 'PUT', 'DELETE'] } as const;

function fieldErrors(error: z.ZodError): Record<string, string> {
  return Object.fromEntries(error.issues.map((issue) => [issue.path.join('.') || 'body', issue.message]));
}

const done = (response: ApiResponse, items = 0): EndpointResult => ({ response, items, created: 0, updated: 0 });

export class SubscribersApi {
  private readonly byId = new Map<number, SandboxSubscriber>();
  private nextId = 1;
  private unfilteredDeletes = 0;
  created = 0;
  updated = 0;

  constructor(private readonly channels: () => readonly number[]) {}

  clear(): void {
    this.byId.clear();
    this.nextId = 1;
    this.unfilteredDeletes = 0;
    this.created = 0;
    this.updated = 0;
  }

  all(): SandboxSubscriber[] {
    return structuredClone([...this.byId.values()]);
  }

  get unfilteredDeleteCount(): number {
    return this.unfilteredDeletes;
  }

  seed(subscribers: readonly Partial<SandboxSubscriber>[]): SandboxSubscriber[] {
    return subscribers.map((partial) => {
      const email = (partial.email ?? `seeded-${this.nextId}@example.com`).toLowerCase();
      if (this.findByEmail(email)) throw new Error(`seed: subscriber ${email} already exists`);
      return structuredClone(this.insert({ ...partial, email }));
    });
  }

  /** Runs one request; `body` is the parsed JSON of a POST or PUT. */
  handle(method: string, route: SubscribersRoute, query: URLSearchParams, body: unknown): EndpointResult {
    if (route.id === undefined) {
      if (method === 'GET') return this.list(query);
      if (method === 'POST') return this.create(body);
      return this.deleteMany(query);
    }
    const subscriber = this.byId.get(route.id);
    if (subscriber === undefined) return done(problem(404, 'Subscriber not found'));
    if (method === 'GET') return done(json(200, { data: subscriber, meta: {} }), 1);
    if (method === 'PUT') return this.update(subscriber, body);
    this.byId.delete(subscriber.id);
    return done({ status: 204 }, 1);
  }

  private findByEmail(email: string): SandboxSubscriber | undefined {
    const lower = email.toLowerCase();
    return [...this.byId.values()].find((candidate) => candidate.email === lower);
  }

  private checkChannel(channelId: number | undefined): ApiResponse | undefined {
    if (channelId === undefined || this.channels().includes(channelId)) return undefined;
    return problem(422, 'The channel does not exist', { channel_id: `channel ${channelId} not found` });
  }

  private list(query: URLSearchParams): EndpointResult {
    const page = Number(query.get('page') ?? '1');
    const limit = Math.min(Number(query.get('limit') ?? String(DEFAULT_LIMIT)), MAX_LIMIT);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(limit) || limit < 1) {
      return done(problem(422, 'Invalid query parameter', { page: 'must be an integer >= 1' }));
    }
    const matches = this.filter(query);
    const items = matches.slice((page - 1) * limit, page * limit);
    const meta = {
      pagination: { total: matches.length, count: items.length, per_page: limit, current_page: page, total_pages: Math.ceil(matches.length / limit) },
    };
    return done(json(200, { data: items, meta }), items.length);
  }

  private filter(query: URLSearchParams): SandboxSubscriber[] {
    const email = query.get('email')?.trim().toLowerCase();
    const ids = new Set(
      query
        .getAll('id:in')
        .flatMap((value) => value.split(','))
        .filter((value) => value.trim() !== '')
        .map(Number),
    );
    return [...this.byId.values()].filter((subscriber) => (email === undefined || subscriber.email === email) && (ids.size === 0 || ids.has(subscriber.id)));
  }

  private create(body: unknown): EndpointResult {
    if (Array.isArray(body)) return done(problem(422, 'JSON data is missing or invalid', { body: 'expected one subscriber object, not an array' }));
    const parsed = createSchema.safeParse(body);
    if (!parsed.success) return done(problem(422, 'JSON data is missing or invalid', fieldErrors(parsed.error)), 1);
    const channelProblem = this.checkChannel(parsed.data.channel_id);
    if (channelProblem) return done(channelProblem, 1);
    if (this.findByEmail(parsed.data.email)) {
      return done(problem(409, 'The subscriber already exists', { email: 'A subscriber with this email already exists' }), 1);
    }
    const subscriber = this.insert(parsed.data);
    this.created += 1;
    return done(json(200, { data: subscriber, meta: {} }), 1);
  }

  private update(subscriber: SandboxSubscriber, body: unknown): EndpointResult {
    const parsed = updateSchema.safeParse(body);
    if (!parsed.success) return done(problem(422, 'JSON data is missing or invalid', fieldErrors(parsed.error)), 1);
    const channelProblem = this.checkChannel(parsed.data.channel_id);
    if (channelProblem) return done(channelProblem, 1);
    const email = parsed.data.email?.toLowerCase();
    if (email !== undefined && email !== subscriber.email && this.findByEmail(email)) {
      return done(problem(409, 'The subscriber already exists', { email: 'A subscriber with this email already exists' }), 1);
    }
    const { email: _email, ...rest } = parsed.data;
    Object.assign(subscriber, {
      ...Object.fromEntries(Object.entries(rest).filter(([key, value]) => value !== undefined && key in subscriberFields)),
      ...(email !== undefined ? { email } : {}),
      date_modified: new Date().toISOString(),
    });
    if (parsed.data.consents !== undefined) subscriber.consents = [...new Set(parsed.data.consents)];
    this.updated += 1;
    return done(json(200, { data: subscriber, meta: {} }), 1);
  }

  private deleteMany(query: URLSearchParams): EndpointResult {
    const filtered = ['email', 'first_name', 'last_name', 'source', 'order_id', 'date_created', 'date_modified'].some((name) => query.has(name));
    if (!filtered) {
      this.unfilteredDeletes += 1;
      console.error('bigcommerce-sandbox: refused DELETE /v3/customers/subscribers without a filter (BigCommerce would delete every subscriber of the store)');
      return done(problem(500, 'Sandbox trap: DELETE /v3/customers/subscribers without a filter deletes every subscriber'));
    }
    const matches = this.filter(query);
    for (const subscriber of matches) this.byId.delete(subscriber.id);
    return done({ status: 204 }, matches.length);
  }

  private insert(fields: Partial<SandboxSubscriber> & { email: string }): SandboxSubscriber {
    const now = new Date().toISOString();
    const subscriber: SandboxSubscriber = {
      id: fields.id ?? this.nextId,
      email: fields.email.toLowerCase(),
      first_name: fields.first_name ?? '',
      last_name: fields.last_name ?? '',
      source: fields.source ?? 'custom',
      order_id: fields.order_id ?? null,
      channel_id: fields.channel_id ?? this.channels()[0] ?? 1,
      consents: [...new Set(fields.consents ?? [])],
      date_created: now,
      date_modified: now,
    };
    this.nextId = Math.max(this.nextId, subscriber.id) + 1;
    this.byId.set(subscriber.id, subscriber);
    return subscriber;
  }
}
