import { SandboxSeedError } from './errors';
import type { AttributeType, SandboxAddress, SandboxAttribute, SandboxAttributeValue, SandboxCustomer } from './types';

export type NewAddress = Omit<SandboxAddress, 'id' | 'customer_id'>;
export type NewAttributeValue = Pick<SandboxAttributeValue, 'attribute_id' | 'attribute_value'>;
export type NewCustomer = Omit<SandboxCustomer, 'id' | 'date_created' | 'date_modified' | 'addresses' | 'attributes'> & {
  addresses: NewAddress[];
  attributes: NewAttributeValue[];
};
/** Writable fields of an existing customer (PUT); attributes are upserted by attribute_id. */
export type CustomerPatch = Partial<Omit<NewCustomer, 'addresses' | 'origin_channel_id'>>;

/** The part of a customer that decides email uniqueness. */
export interface EmailScope {
  email: string;
  channel_ids: number[] | null;
}

export const MAX_ATTRIBUTES_PER_STORE = 50;

/** BigCommerce writes timestamps without milliseconds, e.g. 2024-05-01T10:20:30Z. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Email uniqueness is per channel, case-insensitive; a customer without channel_ids has global access
 * and therefore clashes with the same email on every channel (BigCommerce's documented uniqueness rule).
 */
export function emailsClash(a: EmailScope, b: EmailScope): boolean {
  if (a.email.toLowerCase() !== b.email.toLowerCase()) return false;
  if (a.channel_ids === null || b.channel_ids === null) return true;
  return a.channel_ids.some((channel) => b.channel_ids?.includes(channel) ?? false);
}

/** In-memory store of one BigCommerce store's customers and customer attributes. */
export class CustomerStore {
  private readonly customerById = new Map<number, SandboxCustomer>();
  private readonly attributeById = new Map<number, SandboxAttribute>();
  // lower-cased email -> customer ids: uniqueness checks stay O(1) with large benchmark stores
  private readonly idsByEmail = new Map<string, Set<number>>();
  private nextCustomerId = 1;
  private nextAddressId = 1;
  private nextAttributeValueId = 1;
  private nextAttributeId = 1;

  clear(): void {
    this.customerById.clear();
    this.attributeById.clear();
    this.idsByEmail.clear();
    this.nextCustomerId = 1;
    this.nextAddressId = 1;
    this.nextAttributeValueId = 1;
    this.nextAttributeId = 1;
  }

  /** Live records in id order; callers that hand them out must copy them. */
  all(): SandboxCustomer[] {
    return [...this.customerById.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): SandboxCustomer | undefined {
    return this.customerById.get(id);
  }

  get size(): number {
    return this.customerById.size;
  }

  /** Ids of the customers holding this email (any channel). */
  idsWithEmail(email: string): number[] {
    return [...(this.idsByEmail.get(email.toLowerCase()) ?? [])];
  }

  /** A stored customer whose email clashes with `candidate`. */
  findClash(candidate: EmailScope): SandboxCustomer | undefined {
    for (const id of this.idsByEmail.get(candidate.email.toLowerCase()) ?? []) {
      const customer = this.customerById.get(id);
      if (customer !== undefined && emailsClash(candidate, customer)) return customer;
    }
    return undefined;
  }

  insert(draft: NewCustomer, now = new Date(), fixedId?: number): SandboxCustomer {
    const id = fixedId ?? this.nextCustomerId;
    this.nextCustomerId = Math.max(this.nextCustomerId, id + 1);
    const at = timestamp(now);
    const customer: SandboxCustomer = {
      id,
      ...draft,
      email: draft.email.toLowerCase(),
      date_created: at,
      date_modified: at,
      addresses: draft.addresses.map((address) => ({ ...address, id: this.nextAddressId++, customer_id: id })),
      attributes: draft.attributes.map((value) => this.newAttributeValue(id, value, at)),
    };
    this.customerById.set(id, customer);
    this.indexEmail(customer.email, id);
    return customer;
  }

  /** Removes a customer; false when there is none with this id. */
  delete(id: number): boolean {
    const current = this.customerById.get(id);
    if (current === undefined) return false;
    this.customerById.delete(id);
    this.idsByEmail.get(current.email)?.delete(id);
    return true;
  }

  update(id: number, patch: CustomerPatch, now = new Date()): SandboxCustomer {
    const current = this.customerById.get(id);
    if (current === undefined) throw new Error(`customer ${id} does not exist`);
    const at = timestamp(now);
    const { attributes, ...fields } = patch;
    const next: SandboxCustomer = { ...current, ...fields, date_modified: at };
    if (fields.email !== undefined) next.email = fields.email.toLowerCase();
    if (attributes !== undefined) {
      const values = [...current.attributes];
      for (const value of attributes) {
        const existing = values.findIndex((v) => v.attribute_id === value.attribute_id);
        if (existing >= 0) {
          const old = values[existing] as SandboxAttributeValue;
          values[existing] = { ...old, attribute_value: value.attribute_value, date_modified: at };
        } else {
          values.push(this.newAttributeValue(id, value, at));
        }
      }
      next.attributes = values;
    }
    this.customerById.set(id, next);
    if (next.email !== current.email) {
      this.idsByEmail.get(current.email)?.delete(id);
      this.indexEmail(next.email, id);
    }
    return next;
  }

  /**
   * Pre-existing customers for tests. Missing fields get plain defaults; ids are kept when given.
   * Refuses data BigCommerce could not hold (a clashing email, a taken id).
   */
  seed(partial: Partial<SandboxCustomer>, defaultChannel: number): SandboxCustomer {
    if (partial.id !== undefined && this.customerById.has(partial.id)) {
      throw new SandboxSeedError(`seed: customer id ${partial.id} is already taken`);
    }
    const id = partial.id ?? this.nextCustomerId;
    const email = (partial.email ?? `seed-${id}@example.com`).toLowerCase();
    const channelIds = partial.channel_ids === undefined ? null : partial.channel_ids;
    const clash = this.findClash({ email, channel_ids: channelIds });
    if (clash !== undefined) {
      throw new SandboxSeedError(`seed: email ${email} already in use by customer ${clash.id} on an overlapping channel`);
    }
    const now = new Date();
    const customer = this.insert(
      {
        email,
        first_name: partial.first_name ?? 'Seed',
        last_name: partial.last_name ?? 'Customer',
        company: partial.company ?? '',
        phone: partial.phone ?? '',
        notes: partial.notes ?? '',
        tax_exempt_category: partial.tax_exempt_category ?? '',
        registration_ip_address: partial.registration_ip_address ?? '',
        customer_group_id: partial.customer_group_id ?? 0,
        channel_ids: channelIds,
        origin_channel_id: partial.origin_channel_id ?? defaultChannel,
        accepts_product_review_abandoned_cart_emails: partial.accepts_product_review_abandoned_cart_emails ?? false,
        store_credit_amounts: partial.store_credit_amounts ?? [],
        authentication: partial.authentication ?? { force_password_reset: false },
        form_fields: partial.form_fields ?? [],
        addresses: (partial.addresses ?? []).map(({ id: _id, customer_id: _customerId, ...address }) => address),
        attributes: (partial.attributes ?? []).map(({ attribute_id, attribute_value }) => ({ attribute_id, attribute_value })),
      },
      now,
      id,
    );
    if (partial.date_created !== undefined) customer.date_created = partial.date_created;
    if (partial.date_modified !== undefined) customer.date_modified = partial.date_modified;
    return customer;
  }

  allAttributes(): SandboxAttribute[] {
    return [...this.attributeById.values()].sort((a, b) => a.id - b.id);
  }

  getAttribute(id: number): SandboxAttribute | undefined {
    return this.attributeById.get(id);
  }

  findAttributeByName(name: string): SandboxAttribute | undefined {
    for (const attribute of this.attributeById.values()) if (attribute.name === name) return attribute;
    return undefined;
  }

  get attributeCount(): number {
    return this.attributeById.size;
  }

  insertAttribute(name: string, type: AttributeType, now = new Date()): SandboxAttribute {
    const at = timestamp(now);
    const attribute: SandboxAttribute = { id: this.nextAttributeId++, name, type, date_created: at, date_modified: at };
    this.attributeById.set(attribute.id, attribute);
    return attribute;
  }

  private indexEmail(email: string, id: number): void {
    const ids = this.idsByEmail.get(email) ?? new Set<number>();
    ids.add(id);
    this.idsByEmail.set(email, ids);
  }

  private newAttributeValue(customerId: number, value: NewAttributeValue, at: string): SandboxAttributeValue {
    return {
      id: this.nextAttributeValueId++,
      customer_id: customerId,
      attribute_id: value.attribute_id,
      attribute_value: value.attribute_value,
      date_created: at,
      date_modified: at,
    };
  }
}
