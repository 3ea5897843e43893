import type { CustomerCreateInput, CustomerUpdateInput } from '../bigcommerce/customer';
import type { CustomerDefaults, PlaceholderNameField, Signup, SignupMessage } from '../signup/signup-schema';
import * as z from '../zod-mini';

/** Where a named custom field goes: a customer attribute (by its name in the store) or a form field. */
export const customFieldTargetSchema = z.union([
  z.strictObject({ attribute: z.string().check(z.minLength(1), z.maxLength(255)) }),
  z.strictObject({ formField: z.string().check(z.minLength(1), z.maxLength(255)) }),
]);
export const customFieldMapSchema = z.record(z.string().check(z.minLength(1)), customFieldTargetSchema);
export type CustomFieldMap = z.infer<typeof customFieldMapSchema>;

export type CustomerOptions = Readonly<{
  channelIds?: readonly number[];
  originChannelId?: number;
  customerGroupId?: number;
  sendWelcomeEmail: boolean;
  forcePasswordReset: boolean;
  customFieldMap: CustomFieldMap;
}>;

export const DEFAULT_CUSTOMER_OPTIONS: CustomerOptions = { sendWelcomeEmail: false, forcePasswordReset: false, customFieldMap: {} };

/** Attribute ids by attribute name, resolved from the store once (see attribute-resolver.ts). */
export type AttributeIds = ReadonlyMap<string, number>;

const byReceipt = (messages: readonly SignupMessage[]): SignupMessage[] => [...messages].sort((a, b) => a.received_at.localeCompare(b.received_at));

/** A merged signup and which of its names are placeholders (no message of the group gave a real one). */
export type MergedSignup = Readonly<{ signup: Signup; placeholderNames: ReadonlySet<PlaceholderNameField> }>;

const isNameField = (field: string): field is PlaceholderNameField => field === 'first_name' || field === 'last_name';

/**
 * Several messages for one email in a batch become one customer. Later signups win field by field,
 * and fields a later signup leaves out keep the earlier value (a second form may ask for less). A name
 * a message marks as a placeholder (`placeholder_names`) never replaces a real one: a newsletter-only
 * signup after "Ada Lovelace" keeps her name.
 */
export function mergeMarkedSignups(messages: readonly SignupMessage[]): MergedSignup {
  const ordered = byReceipt(messages);
  const merged: Record<string, unknown> = {};
  const placeholders = new Set<PlaceholderNameField>();
  for (const message of ordered) {
    const marks = new Set(message.placeholder_names ?? []);
    for (const [field, value] of Object.entries(message.signup)) {
      if (value === undefined) continue;
      if (!isNameField(field)) {
        merged[field] = value;
        continue;
      }
      const placeholder = marks.has(field);
      if (placeholder && merged[field] !== undefined && !placeholders.has(field)) continue;
      merged[field] = value;
      if (placeholder) placeholders.add(field);
      else placeholders.delete(field);
    }
  }
  return { signup: merged as Signup, placeholderNames: placeholders };
}

/** The merged signup of mergeMarkedSignups, without its placeholder marks. */
export function mergeSignups(messages: readonly SignupMessage[]): Signup {
  return mergeMarkedSignups(messages).signup;
}

/**
 * The source's customer defaults of a merged group: those of its latest message (the same order in
 * which `mergeSignups` lets later signups win), or none.
 */
export function latestCustomerDefaults(messages: readonly SignupMessage[]): CustomerDefaults | undefined {
  return byReceipt(messages).at(-1)?.source.customer_defaults;
}

/** The global customer options with a source's defaults laid over them, field by field. */
export function withCustomerDefaults(options: CustomerOptions, defaults: CustomerDefaults | undefined): CustomerOptions {
  if (!defaults) return options;
  return {
    ...options,
    ...(defaults.channel_ids ? { channelIds: defaults.channel_ids } : {}),
    ...(defaults.customer_group_id !== undefined ? { customerGroupId: defaults.customer_group_id } : {}),
    ...(defaults.send_welcome_email !== undefined ? { sendWelcomeEmail: defaults.send_welcome_email } : {}),
  };
}

const fieldText = (value: string | number | readonly string[]): string => (Array.isArray(value) ? value.join(', ') : String(value));

/**
 * Signup -> BigCommerce customer. Custom fields without a mapping are kept, appended to the notes,
 * rather than dropped: the data reaches the store and the operator can add a mapping later.
 * `defaults` (the message's source customer defaults) win over the global `options`.
 */
export function toCustomerCreate(signup: Signup, globalOptions: CustomerOptions, attributeIds: AttributeIds, defaults?: CustomerDefaults): CustomerCreateInput {
  const { first_name: firstName, last_name: lastName } = signup;
  // The engine builds customers only from signups with both names (subscription-plan.ts).
  if (!firstName || !lastName) throw new Error('A customer needs first_name and last_name');
  const options = withCustomerDefaults(globalOptions, defaults);
  const attributes: { attribute_id: number; attribute_value: string }[] = [];
  const formFields: { name: string; value: string | number | readonly string[] }[] = [];
  const unmapped: string[] = [];
  for (const field of signup.custom_fields ?? []) {
    const target = options.customFieldMap[field.name];
    if (target && 'attribute' in target) {
      const id = attributeIds.get(target.attribute);
      // The resolver checks every mapped attribute exists before a batch is built.
      if (id === undefined) throw new Error(`Attribute "${target.attribute}" was not resolved`);
      attributes.push({ attribute_id: id, attribute_value: fieldText(field.value).slice(0, 255) });
    } else if (target && 'formField' in target) {
      formFields.push({ name: target.formField, value: field.value });
    } else {
      unmapped.push(`${field.name}: ${fieldText(field.value)}`);
    }
  }
  const notes = [signup.notes, ...unmapped].filter((part): part is string => !!part).join('\n') || undefined;
  return {
    email: signup.email,
    first_name: firstName,
    last_name: lastName,
    ...(signup.company ? { company: signup.company } : {}),
    ...(signup.phone ? { phone: signup.phone } : {}),
    ...(notes ? { notes } : {}),
    ...(signup.address
      ? { addresses: [{ ...signup.address, first_name: signup.address.first_name ?? firstName, last_name: signup.address.last_name ?? lastName }] }
      : {}),
    ...(attributes.length > 0 ? { attributes } : {}),
    ...(formFields.length > 0 ? { form_fields: formFields } : {}),
    ...(options.customerGroupId !== undefined ? { customer_group_id: options.customerGroupId } : {}),
    ...(options.channelIds ? { channel_ids: options.channelIds } : {}),
    ...(options.originChannelId !== undefined ? { origin_channel_id: options.originChannelId } : {}),
    ...(signup.consent?.abandoned_cart !== undefined ? { accepts_product_review_abandoned_cart_emails: signup.consent.abandoned_cart } : {}),
    trigger_account_created_notification: options.sendWelcomeEmail,
    authentication: { force_password_reset: options.forcePasswordReset },
  };
}

/**
 * The `update` conflict policy changes names, company and phone (docs/sync-semantics.md#conflict-policy).
 * Never the customer group or channels (a signup must not move a customer into a price list or a
 * storefront), nor notes, addresses or attribute values (`customer_Put` has no `attributes`), nor a
 * placeholder name (the nameless policy's, a lastNamePolicy's): it would rename a real customer.
 */
export function toCustomerUpdate(
  id: number,
  customer: CustomerCreateInput,
  placeholderNames: ReadonlySet<PlaceholderNameField> = new Set(),
): CustomerUpdateInput {
  return {
    id,
    ...(placeholderNames.has('first_name') ? {} : { first_name: customer.first_name }),
    ...(placeholderNames.has('last_name') ? {} : { last_name: customer.last_name }),
    ...(customer.company ? { company: customer.company } : {}),
    ...(customer.phone ? { phone: customer.phone } : {}),
  };
}
