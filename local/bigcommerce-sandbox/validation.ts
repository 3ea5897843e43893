import * as z from 'zod';
import type { CustomerPatch, NewCustomer } from './store';
import type { AttributeType } from './types';

// BigCommerce's documented field limits for creating customers. The exact 422 texts for bad fields are not
// documented; the one documented shape error is "error.path.missing" (a Play JSON code), so shape problems
// use Play's codes ("error.expected.jsstring", ...) and limits get short readable messages. Keys are
// "<index>.<path>" like BigCommerce's "0.id".

export const MAX_BATCH_ITEMS = 10;

export type FieldErrors = Record<string, string>;

const JS_TYPES: Record<string, string> = {
  string: 'jsstring',
  number: 'jsnumber',
  int: 'jsnumber',
  boolean: 'jsboolean',
  array: 'jsarray',
  object: 'jsobject',
};

function limit(bound: number | bigint, origin: string): string {
  const n = String(bound);
  if (origin === 'string') return `${n} character${n === '1' ? '' : 's'}`;
  if (origin === 'array') return `${n} item${n === '1' ? '' : 's'}`;
  return n;
}

// Applied per parse; messages set on a schema (email, country_code) take precedence.
const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'error.path.missing' : `error.expected.${JS_TYPES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return `must be at least ${limit(issue.minimum, issue.origin)}`;
    case 'too_big':
      return `must be at most ${limit(issue.maximum, issue.origin)}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      return 'error.expected.jsstring, jsnumber or jsarray';
    default:
      return 'error.invalid';
  }
};

// Lenient on purpose (anything@anything.tld): BigCommerce's exact rule is not documented, and a stricter
// check here than there would hide real-world rejections from the engine's tests.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const text = (min: number, max: number) => z.string().min(min).max(max);
const optionalText = (max?: number) => (max === undefined ? z.string() : z.string().max(max)).nullish();

const formFieldSchema = z.object({
  name: z.string().min(1),
  value: z.union([z.string(), z.number(), z.array(z.string())]),
});

const addressSchema = z.object({
  first_name: text(1, 255),
  last_name: text(1, 255),
  company: optionalText(255),
  address1: text(1, 255),
  address2: optionalText(255),
  city: text(1, 100),
  state_or_province: optionalText(100),
  postal_code: optionalText(30),
  country_code: z.string().regex(/^[A-Za-z]{2}$/, { error: 'must be exactly 2 letters (ISO 3166-1 alpha-2)' }),
  phone: optionalText(50),
  address_type: z.enum(['residential', 'commercial']).nullish(),
  form_fields: z.array(formFieldSchema).nullish(),
});

const attributeValueSchema = z.object({
  attribute_id: z.int(),
  attribute_value: z.string().max(255),
});

// Optional fields are `nullish`: BigCommerce's JSON reader treats null like an absent optional field.
const customerCreateSchema = z.object({
  email: z.string().min(3).max(250).regex(EMAIL_PATTERN, { error: 'error.email' }),
  first_name: text(1, 100),
  last_name: text(1, 100),
  company: optionalText(255),
  phone: optionalText(50),
  notes: optionalText(),
  tax_exempt_category: optionalText(255),
  registration_ip_address: optionalText(),
  customer_group_id: z.int().min(0).nullish(),
  addresses: z.array(addressSchema).max(10).nullish(),
  attributes: z.array(attributeValueSchema).max(10).nullish(),
  authentication: z.object({ force_password_reset: z.boolean().nullish(), new_password: z.string().min(1).nullish() }).nullish(),
  accepts_product_review_abandoned_cart_emails: z.boolean().nullish(),
  store_credit_amounts: z.array(z.object({ amount: z.number().min(0) })).nullish(),
  origin_channel_id: z.int().nullish(),
  // omitted or null = global access; otherwise a non-empty array
  channel_ids: z.array(z.int()).min(1).nullish(),
  form_fields: z.array(formFieldSchema).nullish(),
  trigger_account_created_notification: z.boolean().nullish(),
});

// PUT: every field optional, `id` required. Read-only fields (origin_channel_id, date_*,
// registration_ip_address), addresses and attributes are not in the schema (`customer_Put` lists neither;
// addresses and attribute values have their own endpoints), so zod strips them: they are ignored. For
// attributes BigCommerce documents only that their values "can not be updated" this way, not a 422.
const customerUpdateSchema = customerCreateSchema
  .omit({ origin_channel_id: true, registration_ip_address: true, addresses: true, attributes: true, trigger_account_created_notification: true })
  .partial()
  .extend({ id: z.int() });

const attributeCreateSchema = z.object({
  name: z.string().min(1).max(255),
  type: z.enum(['string', 'number', 'date']),
});

export type CustomerCreateInput = z.infer<typeof customerCreateSchema>;
export type CustomerUpdateInput = z.infer<typeof customerUpdateSchema>;
export type AttributeCreateInput = z.infer<typeof attributeCreateSchema>;

/** What validation needs to know about the store. */
export interface ValidationContext {
  channels: readonly number[];
  attributeType(id: number): AttributeType | undefined;
  rejectEmails: RegExp | undefined;
}

export type ItemResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** The outcome of the array-level checks shared by every batch endpoint. */
export type BatchShape = { kind: 'ok'; items: unknown[] } | { kind: 'too-many' } | { kind: 'invalid'; errors: FieldErrors };

export function checkBatchShape(body: unknown): BatchShape {
  // "body" names the whole document: BigCommerce's key for a root-level shape error is not documented.
  if (!Array.isArray(body)) return { kind: 'invalid', errors: { body: 'error.expected.jsarray' } };
  if (body.length === 0) return { kind: 'invalid', errors: { body: 'error.path.missing' } };
  if (body.length > MAX_BATCH_ITEMS) return { kind: 'too-many' };
  return { kind: 'ok', items: body };
}

function issuesToErrors(prefix: string, issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const key = [prefix, ...issue.path.map(String)].join('.');
    // First message per key wins, like BigCommerce's one-message-per-key map.
    errors[key] ??= issue.message;
  }
  return errors;
}

function checkReferences(
  index: number,
  fields: {
    email?: string | undefined;
    origin_channel_id?: number | null | undefined;
    channel_ids?: number[] | null | undefined;
    attributes?: Array<{ attribute_id: number; attribute_value: string }> | null | undefined;
  },
  ctx: ValidationContext,
): FieldErrors {
  const errors: FieldErrors = {};
  // Matched against the lower-cased email, the form BigCommerce stores.
  if (fields.email !== undefined && ctx.rejectEmails !== undefined && testRegExp(ctx.rejectEmails, fields.email.toLowerCase())) {
    errors[`${index}.email`] = 'error.email.rejected';
  }
  if (fields.origin_channel_id != null && !ctx.channels.includes(fields.origin_channel_id)) {
    errors[`${index}.origin_channel_id`] = `channel ${fields.origin_channel_id} does not exist`;
  }
  const unknownChannel = fields.channel_ids?.find((channel) => !ctx.channels.includes(channel));
  if (unknownChannel !== undefined) errors[`${index}.channel_ids`] = `channel ${unknownChannel} does not exist`;
  (fields.attributes ?? []).forEach((value, j) => {
    const type = ctx.attributeType(value.attribute_id);
    if (type === undefined) {
      errors[`${index}.attributes.${j}.attribute_id`] = `attribute ${value.attribute_id} does not exist`;
    } else if (!matchesAttributeType(type, value.attribute_value)) {
      errors[`${index}.attributes.${j}.attribute_value`] = `must be a valid ${type}`;
    }
  });
  return errors;
}

// A global or sticky RegExp keeps lastIndex between test() calls; reset it so every email is judged alone.
function testRegExp(pattern: RegExp, value: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(value);
}

function matchesAttributeType(type: AttributeType, value: string): boolean {
  if (type === 'number') return value.trim() !== '' && Number.isFinite(Number(value));
  if (type === 'date') return !Number.isNaN(Date.parse(value));
  return true;
}

export function validateCreateItem(item: unknown, index: number, ctx: ValidationContext): ItemResult<NewCustomer> {
  const parsed = customerCreateSchema.safeParse(item, { error: errorMap });
  if (!parsed.success) return { ok: false, errors: issuesToErrors(String(index), parsed.error.issues) };
  const v = parsed.data;
  const errors = checkReferences(index, v, ctx);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      email: v.email.toLowerCase(),
      first_name: v.first_name,
      last_name: v.last_name,
      company: v.company ?? '',
      phone: v.phone ?? '',
      notes: v.notes ?? '',
      tax_exempt_category: v.tax_exempt_category ?? '',
      registration_ip_address: v.registration_ip_address ?? '',
      customer_group_id: v.customer_group_id ?? 0,
      channel_ids: v.channel_ids ?? null,
      origin_channel_id: v.origin_channel_id ?? (ctx.channels[0] as number),
      accepts_product_review_abandoned_cart_emails: v.accepts_product_review_abandoned_cart_emails ?? false,
      store_credit_amounts: v.store_credit_amounts ?? [],
      // The password is validated and dropped: the sandbox never stores or returns it.
      authentication: { force_password_reset: v.authentication?.force_password_reset ?? false },
      form_fields: v.form_fields ?? [],
      addresses: (v.addresses ?? []).map((a) => ({
        first_name: a.first_name,
        last_name: a.last_name,
        company: a.company ?? '',
        address1: a.address1,
        address2: a.address2 ?? '',
        city: a.city,
        state_or_province: a.state_or_province ?? '',
        postal_code: a.postal_code ?? '',
        country_code: a.country_code.toUpperCase(),
        phone: a.phone ?? '',
        address_type: a.address_type ?? 'residential',
        form_fields: a.form_fields ?? [],
      })),
      attributes: v.attributes ?? [],
    },
  };
}

export function validateUpdateItem(
  item: unknown,
  index: number,
  ctx: ValidationContext & { customerExists(id: number): boolean },
): ItemResult<{ id: number; patch: CustomerPatch }> {
  const parsed = customerUpdateSchema.safeParse(item, { error: errorMap });
  if (!parsed.success) return { ok: false, errors: issuesToErrors(String(index), parsed.error.issues) };
  const { id, ...v } = parsed.data;
  if (!ctx.customerExists(id)) return { ok: false, errors: { [`${index}.id`]: 'invalid customer ID' } };
  const errors = checkReferences(index, v, ctx);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const patch: CustomerPatch = {};
  // null clears a text field to '' (BigCommerce's empty value); undefined leaves it alone.
  if (v.email != null) patch.email = v.email.toLowerCase();
  if (v.first_name != null) patch.first_name = v.first_name;
  if (v.last_name != null) patch.last_name = v.last_name;
  if (v.company !== undefined) patch.company = v.company ?? '';
  if (v.phone !== undefined) patch.phone = v.phone ?? '';
  if (v.notes !== undefined) patch.notes = v.notes ?? '';
  if (v.tax_exempt_category !== undefined) patch.tax_exempt_category = v.tax_exempt_category ?? '';
  if (v.customer_group_id !== undefined) patch.customer_group_id = v.customer_group_id ?? 0;
  if (v.channel_ids !== undefined) patch.channel_ids = v.channel_ids;
  if (v.accepts_product_review_abandoned_cart_emails != null) {
    patch.accepts_product_review_abandoned_cart_emails = v.accepts_product_review_abandoned_cart_emails;
  }
  if (v.store_credit_amounts != null) patch.store_credit_amounts = v.store_credit_amounts;
  if (v.authentication?.force_password_reset != null) {
    patch.authentication = { force_password_reset: v.authentication.force_password_reset };
  }
  if (v.form_fields != null) patch.form_fields = v.form_fields;
  return { ok: true, value: { id, patch } };
}

export function validateAttributeItem(item: unknown, index: number): ItemResult<AttributeCreateInput> {
  const parsed = attributeCreateSchema.safeParse(item, { error: errorMap });
  if (!parsed.success) return { ok: false, errors: issuesToErrors(String(index), parsed.error.issues) };
  return { ok: true, value: parsed.data };
}
