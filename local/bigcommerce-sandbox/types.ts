import * as z from 'zod';
import type { SandboxSubscriber } from './subscribers-api';

// Option and fault schemas are the single source of the public option types (zod, types by z.infer): the same
// schemas validate `startBigCommerceSandbox(options)` and the JSON posted to the control API.

export const FAULT_KINDS = [
  'none',
  500,
  502,
  503,
  504,
  429,
  // A 413 whatever the item count: BigCommerce also refuses request bodies that are too large.
  413,
  'hang',
  'reset',
  'revoked-401',
  'created-then-500',
] as const;

export const faultKindSchema = z.literal(FAULT_KINDS);
export type FaultKind = z.infer<typeof faultKindSchema>;

export const faultMethodSchema = z.enum(['GET', 'POST', 'PUT']);
export type FaultMethod = z.infer<typeof faultMethodSchema>;

export const faultConfigSchema = z.object({
  /** 0..1 probability per matching request of a fault drawn from `kinds`. */
  rate: z.number().min(0).max(1).optional(),
  /** Kinds drawn by `rate`; default [500, 502, 503, 504]. */
  kinds: z.array(faultKindSchema).min(1).optional(),
  /** Consumed in order, one entry per matching request, before `rate` applies; 'none' = pass. */
  script: z.array(faultKindSchema).optional(),
  /** Added before answering every API request (all methods, whatever `methods` says). */
  latencyMs: z.number().min(0).optional(),
  /** Which requests faults apply to; default ['POST', 'PUT']. */
  methods: z.array(faultMethodSchema).optional(),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;

export const rateLimitSchema = z.object({
  quota: z.int().min(1),
  windowMs: z.number().positive(),
});
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;

const tokenSchema = z.string().min(1);

/**
 * What a token can be refused for, to play a token created without a scope: BigCommerce answers 403
 * when "permissions do not allow the operation" (its API status codes page). Customer reads cover
 * attributes, settings and customer groups; customer writes cover attributes; channel reads need the
 * separate Channel Settings scope.
 */
export const SCOPE_AREAS = ['customers-read', 'customers-write', 'subscribers-write', 'channels-read'] as const;
export type ScopeArea = (typeof SCOPE_AREAS)[number];

/** Channel statuses as the Channels v3 API lists them. */
export const CHANNEL_STATUSES = ['prelaunch', 'active', 'inactive', 'connected', 'disconnected', 'archived', 'deleted', 'terminated'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

const channelIdKey = z.string().regex(/^[1-9]\d*$/, 'a channel id');

/** Store configuration beyond customers: what `signup-sync doctor` reads. Every field merges into the current setup. */
export const storeSetupSchema = z.strictObject({
  /** Status per channel id (a configured channel not listed is `active`). */
  channelStatuses: z.record(channelIdKey, z.enum(CHANNEL_STATUSES)).optional(),
  /** Customer groups (v2 API); default none. */
  customerGroups: z.array(z.strictObject({ id: z.int().positive(), name: z.string().min(1).max(255) })).optional(),
  /** `allow_global_logins` per channel id; null = no override (inherited). Default: true on channel 1 only. */
  allowGlobalLogins: z.record(channelIdKey, z.boolean().nullable()).optional(),
  /** Store-wide `customer_group_settings.default_customer_group_id`; default 0. */
  defaultCustomerGroupId: z.int().nonnegative().optional(),
  /** Scopes every token lacks: 403 on the matching requests. */
  deniedScopes: z.array(z.enum(SCOPE_AREAS)).optional(),
  /** Tokens of another store: 403 on every request (the status codes page: "are the endpoint and store hash correct?"). */
  foreignTokens: z.array(z.string().min(1)).optional(),
});
export type StoreSetup = z.infer<typeof storeSetupSchema>;

export const sandboxOptionsSchema = z.object({
  /** Interface to listen on; default '127.0.0.1'. */
  host: z.string().min(1).optional(),
  /** Default 0 = a random free port. */
  port: z.int().min(0).max(65535).optional(),
  /** Default 'sandbox'. */
  storeHash: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-" only')
    .optional(),
  /** Accepted X-Auth-Token values; default ['sandbox-token']. */
  tokens: z.array(tokenSchema).min(1).optional(),
  /** Valid tokens lacking the modify scope: 403 on POST/PUT. */
  readOnlyTokens: z.array(tokenSchema).optional(),
  /** Default { quota: 150, windowMs: 30000 } (Standard plan); false = no limit and no headers. */
  rateLimit: z.union([rateLimitSchema, z.literal(false)]).optional(),
  /** Real window length = windowMs * timeScale. Only the quota window scales. Default 1. */
  timeScale: z.number().positive().optional(),
  /** 'atomic' (default): a write with any bad item changes nothing. 'partial': good items are written, answer still 422. */
  batch422: z.enum(['atomic', 'partial']).optional(),
  /** true: 422 errors never name the item, like BigCommerce's documented example. */
  vague422: z.boolean().optional(),
  /** 200 data not in request order (order is undocumented). */
  shuffleResponses: z.boolean().optional(),
  /** Emails BigCommerce "permanently" refuses (422 on `<i>.email`). */
  rejectEmails: z.instanceof(RegExp).optional(),
  faults: faultConfigSchema.optional(),
  /** Known channel ids; default [1]. The first one is the default origin_channel_id. */
  channels: z.array(z.int().positive()).min(1).optional(),
  /** PRNG seed for the fault rate and shuffles. */
  seed: z.int().optional(),
  /** Channels' statuses, customer groups, customer settings, missing scopes (store-settings-api.ts). */
  store: storeSetupSchema.optional(),
});
export type SandboxOptions = z.infer<typeof sandboxOptionsSchema>;

export type MutableSandboxOptions = Partial<Pick<SandboxOptions, 'batch422' | 'vague422' | 'rejectEmails' | 'rateLimit' | 'timeScale' | 'shuffleResponses'>>;

/** A form field value as BigCommerce accepts it. */
export type FormFieldValue = string | number | string[];

export interface SandboxFormField {
  name: string;
  value: FormFieldValue;
}

export interface SandboxAddress {
  id: number;
  customer_id: number;
  first_name: string;
  last_name: string;
  company: string;
  address1: string;
  address2: string;
  city: string;
  state_or_province: string;
  postal_code: string;
  country_code: string;
  phone: string;
  address_type: 'residential' | 'commercial';
  form_fields: SandboxFormField[];
}

export interface SandboxAttributeValue {
  id: number;
  customer_id: number;
  attribute_id: number;
  attribute_value: string;
  date_created: string;
  date_modified: string;
}

export type AttributeType = 'string' | 'number' | 'date';

export interface SandboxAttribute {
  id: number;
  name: string;
  type: AttributeType;
  date_created: string;
  date_modified: string;
}

/** A stored customer, shaped like BigCommerce's response (never holds the password). */
export interface SandboxCustomer {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  company: string;
  phone: string;
  notes: string;
  tax_exempt_category: string;
  registration_ip_address: string;
  customer_group_id: number;
  /** null = global access (clashes with the same email on every channel). */
  channel_ids: number[] | null;
  origin_channel_id: number;
  accepts_product_review_abandoned_cart_emails: boolean;
  store_credit_amounts: Array<{ amount: number }>;
  authentication: { force_password_reset: boolean };
  date_created: string;
  date_modified: string;
  addresses: SandboxAddress[];
  attributes: SandboxAttributeValue[];
  form_fields: SandboxFormField[];
}

export interface SandboxLogEntry {
  /** ms since the epoch, when the answer was sent (or the socket dropped / left hanging). */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** HTTP status; 0 when no answer was sent ('hang', 'reset'). */
  status: number;
  /** Items in the request array for POST/PUT; records returned for GET; 0 otherwise. */
  items: number;
  /** The injected fault, when one was. */
  fault?: FaultKind;
}

export interface SandboxClientStats {
  requests: number;
  rateLimited: number;
}

export interface SandboxStats {
  /** Answers by `${method} ${status}` (e.g. 'POST 200'); dropped answers as 'POST reset' / 'POST hang'. */
  requests: Record<string, number>;
  /** Every request under /stores/..., whatever its outcome (control API excluded). */
  apiRequests: number;
  /** 429 answers, real or injected. */
  rateLimited: number;
  /** Customers created through the API (seeding excluded), including by 'created-then-500' and partial 422s. */
  customersCreated: number;
  customersUpdated: number;
  /** Injected faults by kind. */
  faults: Record<string, number>;
  /**
   * apiRequests and rateLimited per client: the first product of the request's User-Agent (`signup-sync`
   * for the sync's BigCommerce client, `signup-sync-doctor`, `curl`, `node` for a bare fetch; `(none)`).
   */
  clients: Record<string, SandboxClientStats>;
  /** Current quota state in real ms, or null when the rate limit is off. */
  rateLimit: { quota: number; windowMs: number; left: number; resetMs: number } | null;
  /** The PRNG seed in use (given or drawn at start), to replay a run's faults and shuffles. */
  seed: number;
  /** The most recent requests, oldest first (capped). */
  log: SandboxLogEntry[];
}

export interface BigCommerceSandbox {
  /** API base, e.g. http://127.0.0.1:43123; clients call `${url}/stores/${storeHash}/v3/customers`. */
  readonly url: string;
  readonly port: number;
  readonly storeHash: string;
  /** The first currently accepted token. */
  readonly token: string;
  customers(): SandboxCustomer[];
  /** How many customers the store holds, without copying them (status lines that poll). */
  customerCount(): number;
  seedCustomers(customers: Partial<SandboxCustomer>[]): SandboxCustomer[];
  /** Newsletter subscribers (local/bigcommerce-sandbox/subscribers-api.ts). */
  subscribers(): SandboxSubscriber[];
  seedSubscribers(subscribers: Partial<SandboxSubscriber>[]): SandboxSubscriber[];
  /** How many DELETE /v3/customers/subscribers without a filter arrived (refused; any is a caller bug). */
  unfilteredSubscriberDeletes(): number;
  attributes(): SandboxAttribute[];
  seedAttributes(attributes: Array<Pick<SandboxAttribute, 'name' | 'type'>>): SandboxAttribute[];
  setFaults(faults: FaultConfig): void;
  setTokens(tokens: string[], readOnlyTokens?: string[]): void;
  setOptions(options: MutableSandboxOptions): void;
  /** Merges into the store setup (channels, groups, settings, denied scopes, foreign tokens). */
  setStore(setup: StoreSetup): void;
  /** `logLimit`: only the last n log entries (0 = none); default the whole capped log. */
  stats(options?: { logLimit?: number }): SandboxStats;
  reset(): void;
  close(): Promise<void>;
}
