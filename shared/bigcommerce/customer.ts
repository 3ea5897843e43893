import * as z from '../zod-mini';

/** The parts of a BigCommerce customer the sync reads back; everything else passes through. */
export const customerSchema = z.looseObject({
  id: z.number().check(z.int()),
  email: z.string(),
  channel_ids: z.nullish(z.array(z.number().check(z.int()))),
  origin_channel_id: z.nullish(z.number().check(z.int())),
  /** When BigCommerce last wrote the customer (the `update` policy's last-writer-wins check, shared/sync/safe-update.ts). */
  date_modified: z.nullish(z.string()),
});
export type Customer = z.infer<typeof customerSchema>;

export const customerListSchema = z.looseObject({
  data: z.array(customerSchema),
  meta: z.optional(
    z.looseObject({
      pagination: z.optional(z.looseObject({ total_pages: z.optional(z.number().check(z.int())), current_page: z.optional(z.number().check(z.int())) })),
    }),
  ),
});

export const attributeListSchema = z.looseObject({
  data: z.array(z.looseObject({ id: z.number().check(z.int()), name: z.string(), type: z.optional(z.string()) })),
});
export type CustomerAttribute = z.infer<typeof attributeListSchema>['data'][number];

export const problemBodySchema = z.looseObject({
  title: z.optional(z.string()),
  errors: z.optional(z.record(z.string(), z.unknown())),
});

export type CustomerAddressInput = Readonly<{
  first_name: string;
  last_name: string;
  address1: string;
  city: string;
  country_code: string;
  address2?: string;
  company?: string;
  state_or_province?: string;
  postal_code?: string;
  phone?: string;
  address_type?: 'residential' | 'commercial';
}>;

/** Body of one item of POST /v3/customers (the fields we send, with BigCommerce's limits in signup-schema.ts). */
export type CustomerCreateInput = Readonly<{
  email: string;
  first_name: string;
  last_name: string;
  company?: string;
  phone?: string;
  notes?: string;
  addresses?: readonly CustomerAddressInput[];
  attributes?: readonly Readonly<{ attribute_id: number; attribute_value: string }>[];
  form_fields?: readonly Readonly<{ name: string; value: string | number | readonly string[] }>[];
  customer_group_id?: number;
  channel_ids?: readonly number[];
  origin_channel_id?: number;
  accepts_product_review_abandoned_cart_emails?: boolean;
  trigger_account_created_notification?: boolean;
  authentication?: Readonly<{ force_password_reset: boolean }>;
}>;

/**
 * One item of PUT /v3/customers, as BigCommerce's `customer_Put` schema lists its fields: the id plus the
 * fields to change. No `attributes` (their values have their own endpoint, PUT /v3/customers/attribute-values),
 * no addresses (their own endpoint too); `origin_channel_id` and the dates are read-only.
 */
export type CustomerUpdateInput = Readonly<{ id: number }> &
  Partial<
    Pick<
      CustomerCreateInput,
      | 'email'
      | 'first_name'
      | 'last_name'
      | 'company'
      | 'phone'
      | 'notes'
      | 'customer_group_id'
      | 'channel_ids'
      | 'form_fields'
      | 'accepts_product_review_abandoned_cart_emails'
      | 'authentication'
    >
  >;
