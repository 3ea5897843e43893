import { type ApiResponse, json, problem } from './http';
import { type Prng, shuffled } from './prng';
import { type CustomerPatch, type CustomerStore, type EmailScope, emailsClash, MAX_ATTRIBUTES_PER_STORE, type NewCustomer } from './store';
import type { SandboxAttribute, SandboxCustomer } from './types';
import {
  type AttributeCreateInput,
  checkBatchShape,
  type FieldErrors,
  MAX_BATCH_ITEMS,
  type ValidationContext,
  validateAttributeItem,
  validateCreateItem,
  validateUpdateItem,
} from './validation';

/** Settings the endpoints read on every request (they can change at run time). */
export interface EndpointSettings {
  channels: readonly number[];
  batch422: 'atomic' | 'partial';
  vague422: boolean;
  shuffleResponses: boolean;
  rejectEmails: RegExp | undefined;
}

/** The answer plus what the stats need to know. */
export interface EndpointResult {
  response: ApiResponse;
  /** Items in the request array (writes) or records returned (reads). */
  items: number;
  created: number;
  updated: number;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;
const INCLUDES = ['addresses', 'attributes', 'formfields'] as const;
type Include = (typeof INCLUDES)[number];

const TOO_MANY = problem(413, `The maximum number of items allowed in the array is ${MAX_BATCH_ITEMS}.`);
const BAD_JSON_TITLE = 'JSON data is missing or invalid';

function result(response: ApiResponse, items: number, created = 0, updated = 0): EndpointResult {
  return { response, items, created, updated };
}

function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}

/**
 * A customer as BigCommerce renders it; addresses, attributes and form fields only when included.
 * Shares the stored objects: the result is only ever serialized straight to JSON, never kept.
 */
export function toResource(customer: SandboxCustomer, include: ReadonlySet<Include> | 'all'): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    ...customer,
    address_count: customer.addresses.length,
    attribute_count: customer.attributes.length,
  };
  if (include !== 'all') {
    if (!include.has('addresses')) delete resource.addresses;
    if (!include.has('attributes')) delete resource.attributes;
    if (!include.has('formfields')) delete resource.form_fields;
  }
  return resource;
}

/** The Customers v3 endpoints over one store. Pure request -> answer; the server owns HTTP, auth and faults. */
export class CustomersApi {
  constructor(
    private readonly store: CustomerStore,
    private readonly settings: () => EndpointSettings,
    private readonly shuffleRandom: () => Prng,
  ) {}

  /**
   * DELETE /v3/customers?id:in=4,5,6: the Customers API documents `id:in` as required; without it BigCommerce
   * answers 204 and deletes nothing, and so does the sandbox (docs/privacy.md: `forget --bigcommerce`).
   */
  deleteCustomers(query: URLSearchParams): EndpointResult {
    const idValues = splitList(query, 'id:in');
    const ids = idValues.map(Number);
    if (ids.some((id) => !Number.isInteger(id) || id <= 0)) {
      return result(problem(422, 'The `id:in` was not valid.', { 'id:in': 'error.expected.jsnumber' }), 0);
    }
    const deleted = ids.filter((id) => this.store.delete(id)).length;
    return result({ status: 204 }, deleted);
  }

  listCustomers(query: URLSearchParams): EndpointResult {
    const paging = parsePaging(query);
    if ('error' in paging) return result(paging.error, 0);
    const emails = new Set(splitList(query, 'email:in').map((e) => e.toLowerCase()));
    const idValues = splitList(query, 'id:in');
    const ids = new Set(idValues.map(Number));
    if ([...ids].some((id) => !Number.isInteger(id))) {
      return result(problem(422, 'Invalid query parameter', { 'id:in': 'error.expected.jsnumber' }), 0);
    }
    const include = new Set(splitList(query, 'include').filter((v): v is Include => (INCLUDES as readonly string[]).includes(v)));
    let matches: SandboxCustomer[];
    if (emails.size > 0) {
      // email index first: lookups stay cheap when a benchmark has filled the store
      matches = [...emails]
        .flatMap((email) => this.store.idsWithEmail(email))
        .map((id) => this.store.get(id))
        .filter((c): c is SandboxCustomer => c !== undefined)
        .sort((a, b) => a.id - b.id);
    } else {
      matches = this.store.all();
    }
    if (idValues.length > 0) matches = matches.filter((c) => ids.has(c.id));
    const page = paginate(matches, paging, query);
    return result(json(200, { data: page.items.map((c) => toResource(c, include)), meta: page.meta }), page.items.length);
  }

  createCustomers(body: unknown): EndpointResult {
    const shape = checkBatchShape(body);
    if (shape.kind === 'too-many') return result(TOO_MANY, Array.isArray(body) ? body.length : 0);
    if (shape.kind === 'invalid') return result(problem(422, BAD_JSON_TITLE, shape.errors), 0);
    const { items } = shape;
    const settings = this.settings();
    const ctx = this.validationContext(settings);

    let fieldErrors: FieldErrors = {};
    const accepted: NewCustomer[] = [];
    let firstClash: string | undefined;
    items.forEach((item, index) => {
      const checked = validateCreateItem(item, index, ctx);
      if (!checked.ok) {
        fieldErrors = { ...fieldErrors, ...checked.errors };
        return;
      }
      // Two identical emails in one POST are not documented by BigCommerce. The sandbox treats the
      // second like a customer that already exists ("already in use"): the first one wins. This is the
      // stricter reading; the engine merges duplicates by email before sending anyway.
      const clashes = this.store.findClash(checked.value) !== undefined || accepted.some((other) => emailsClash(other, checked.value));
      if (clashes) {
        firstClash ??= checked.value.email;
        return;
      }
      accepted.push(checked.value);
    });

    const failed = hasErrors(fieldErrors) || firstClash !== undefined;
    if (failed && settings.batch422 === 'atomic') {
      return result(this.createFailure(fieldErrors, firstClash, settings), items.length);
    }
    const now = new Date();
    const created = accepted.map((draft) => this.store.insert(draft, now));
    if (failed) return result(this.createFailure(fieldErrors, firstClash, settings), items.length, created.length);
    return result(json(200, { data: this.order(created, settings).map((c) => toResource(c, 'all')), meta: {} }), items.length, created.length);
  }

  updateCustomers(body: unknown): EndpointResult {
    const shape = checkBatchShape(body);
    if (shape.kind === 'too-many') return result(TOO_MANY, Array.isArray(body) ? body.length : 0);
    if (shape.kind === 'invalid') return result(problem(422, BAD_JSON_TITLE, shape.errors), 0);
    const { items } = shape;
    const settings = this.settings();
    const ctx = { ...this.validationContext(settings), customerExists: (id: number) => this.store.get(id) !== undefined };

    let fieldErrors: FieldErrors = {};
    const accepted: Array<{ id: number; patch: CustomerPatch }> = [];
    // Email scopes as they will be after the accepted updates so far (same id twice = applied in order).
    const pendingScopes = new Map<number, EmailScope>();
    let firstClash: string | undefined;
    items.forEach((item, index) => {
      const checked = validateUpdateItem(item, index, ctx);
      if (!checked.ok) {
        fieldErrors = { ...fieldErrors, ...checked.errors };
        return;
      }
      const { id, patch } = checked.value;
      const current = pendingScopes.get(id) ?? (this.store.get(id) as SandboxCustomer);
      const scope: EmailScope = {
        email: patch.email ?? current.email,
        channel_ids: patch.channel_ids !== undefined ? patch.channel_ids : current.channel_ids,
      };
      if (this.clashesAfterUpdates(id, scope, pendingScopes)) {
        firstClash ??= scope.email;
        return;
      }
      pendingScopes.set(id, scope);
      accepted.push(checked.value);
    });

    const failed = hasErrors(fieldErrors) || firstClash !== undefined;
    if (failed && settings.batch422 === 'atomic') {
      return result(this.updateFailure(fieldErrors, firstClash, settings), items.length);
    }
    const now = new Date();
    for (const { id, patch } of accepted) this.store.update(id, patch, now);
    // Answer with each customer's final state, once per item like the request.
    const updated = accepted.map(({ id }) => this.store.get(id) as SandboxCustomer);
    if (failed) return result(this.updateFailure(fieldErrors, firstClash, settings), items.length, 0, updated.length);
    return result(json(200, { data: this.order(updated, settings).map((c) => toResource(c, 'all')), meta: {} }), items.length, 0, updated.length);
  }

  listAttributes(query: URLSearchParams): EndpointResult {
    const paging = parsePaging(query);
    if ('error' in paging) return result(paging.error, 0);
    const names = new Set([...splitList(query, 'name:in'), ...query.getAll('name')]);
    let matches = this.store.allAttributes();
    if (names.size > 0) matches = matches.filter((a) => names.has(a.name));
    const page = paginate(matches, paging, query);
    return result(json(200, { data: page.items.map((a) => ({ ...a })), meta: page.meta }), page.items.length);
  }

  createAttributes(body: unknown): EndpointResult {
    const shape = checkBatchShape(body);
    if (shape.kind === 'too-many') return result(TOO_MANY, Array.isArray(body) ? body.length : 0);
    if (shape.kind === 'invalid') return result(problem(422, BAD_JSON_TITLE, shape.errors), 0);
    const { items } = shape;
    let errors: FieldErrors = {};
    const accepted: AttributeCreateInput[] = [];
    items.forEach((item, index) => {
      const checked = validateAttributeItem(item, index);
      if (!checked.ok) {
        errors = { ...errors, ...checked.errors };
      } else if (this.store.findAttributeByName(checked.value.name) !== undefined || accepted.some((a) => a.name === checked.value.name)) {
        errors[`${index}.name`] = `attribute ${checked.value.name} already exists`;
      } else {
        accepted.push(checked.value);
      }
    });
    if (!hasErrors(errors) && this.store.attributeCount + accepted.length > MAX_ATTRIBUTES_PER_STORE) {
      errors['.attribute_create'] = `A store can have at most ${MAX_ATTRIBUTES_PER_STORE} customer attributes`;
    }
    // Attributes are store configuration, created once by an admin or the sync's setup: always atomic.
    if (hasErrors(errors)) return result(problem(422, 'Create customer attributes failed.', errors), items.length);
    const now = new Date();
    const created: SandboxAttribute[] = accepted.map((a) => this.store.insertAttribute(a.name, a.type, now));
    return result(json(200, { data: created.map((a) => ({ ...a })), meta: {} }), items.length);
  }

  private validationContext(settings: EndpointSettings): ValidationContext {
    return {
      channels: settings.channels,
      attributeType: (id) => this.store.getAttribute(id)?.type,
      rejectEmails: settings.rejectEmails,
    };
  }

  private clashesAfterUpdates(id: number, scope: EmailScope, pending: ReadonlyMap<number, EmailScope>): boolean {
    const candidates = new Set(this.store.idsWithEmail(scope.email));
    for (const [otherId, other] of pending) if (other.email === scope.email) candidates.add(otherId);
    for (const otherId of candidates) {
      if (otherId === id) continue;
      const other = pending.get(otherId) ?? this.store.get(otherId);
      if (other !== undefined && emailsClash(scope, other)) return true;
    }
    return false;
  }

  private order<T>(items: T[], settings: EndpointSettings): T[] {
    return settings.shuffleResponses ? shuffled(items, this.shuffleRandom()) : items;
  }

  private createFailure(fieldErrors: FieldErrors, clash: string | undefined, settings: EndpointSettings): ApiResponse {
    // Field errors first: BigCommerce validates the JSON before it tries to insert anything.
    if (settings.vague422) return problem(422, 'Create customers failed.', { '.customer_create': 'Error creating customers' });
    if (hasErrors(fieldErrors)) return problem(422, 'Create customers failed.', fieldErrors);
    // BigCommerce's captured answer names only the first clashing email.
    return problem(422, 'Create customers failed.', { '.customer_create': `Error creating customers: email ${clash ?? ''} already in use` });
  }

  private updateFailure(fieldErrors: FieldErrors, clash: string | undefined, settings: EndpointSettings): ApiResponse {
    // Not documented for updates; mirrors the create texts with the ".customer_update" key.
    if (settings.vague422) return problem(422, 'Update customers failed.', { '.customer_update': 'Error updating customers' });
    if (hasErrors(fieldErrors)) return problem(422, 'Update customers failed.', fieldErrors);
    return problem(422, 'Update customers failed.', { '.customer_update': `Error updating customers: email ${clash ?? ''} already in use` });
  }
}

interface Paging {
  page: number;
  limit: number;
}

function splitList(query: URLSearchParams, name: string): string[] {
  // URLSearchParams has already percent-decoded each value; commas separate the list items.
  return query
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

function parsePaging(query: URLSearchParams): Paging | { error: ApiResponse } {
  const page = query.get('page') ?? '1';
  const limit = query.get('limit') ?? String(DEFAULT_LIMIT);
  const errors: FieldErrors = {};
  if (!/^\d+$/.test(page) || Number(page) < 1) errors.page = 'must be an integer >= 1';
  if (!/^\d+$/.test(limit) || Number(limit) < 1) errors.limit = 'must be an integer >= 1';
  if (hasErrors(errors)) return { error: problem(422, 'Invalid query parameter', errors) };
  // Above the maximum BigCommerce serves the maximum rather than failing; the sandbox does the same.
  return { page: Number(page), limit: Math.min(Number(limit), MAX_LIMIT) };
}

function paginate<T>(all: T[], { page, limit }: Paging, query: URLSearchParams): { items: T[]; meta: Record<string, unknown> } {
  const items = all.slice((page - 1) * limit, page * limit);
  const totalPages = Math.ceil(all.length / limit);
  // Links keep the request's filters so a client can follow `next` as is (keys such as "email:in" stay readable).
  const filters = [...query].filter(([key]) => key !== 'page' && key !== 'limit');
  const encode = (value: string) => encodeURIComponent(value).replace(/%3A/gi, ':');
  const link = (target: number) =>
    `?${[...filters, ['page', String(target)], ['limit', String(limit)]].map(([k, v]) => `${encode(k ?? '')}=${encode(v ?? '')}`).join('&')}`;
  return {
    items,
    meta: {
      pagination: {
        total: all.length,
        count: items.length,
        per_page: limit,
        current_page: page,
        total_pages: totalPages,
        links: {
          current: link(page),
          ...(page > 1 ? { previous: link(page - 1) } : {}),
          ...(page < totalPages ? { next: link(page + 1) } : {}),
        },
      },
    },
  };
}
