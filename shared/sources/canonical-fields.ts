/**
 * The canonical fields a sender field can be mapped to (the values of a source's `fieldMap`).
 * They mirror shared/signup/signup-schema.ts, plus two pseudo-targets:
 * - `full_name`: a whole name, used by the `split-full-name` last-name policy (an object `{first,last}`,
 *   as Jotform sends, fills first and last name directly);
 * - `address`: a whole address object (Mailchimp ADDRESS, Jotform address widget), whose usual
 *   sub-keys (addr1/address1/addr_line1, city, state, zip/postal, country) are recognised.
 * `custom:<Name>` maps to a BigCommerce form field (custom_fields[{ name, value }]).
 * `consent.marketing` and `consent.abandoned_cart` take a checkbox or yes/no answer: true, "true",
 * "yes", "on", "1" (and their opposites); anything else leaves the consent unknown.
 */
export const CANONICAL_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'full_name',
  'company',
  'phone',
  'notes',
  'address',
  'address.first_name',
  'address.last_name',
  'address.company',
  'address.address1',
  'address.address2',
  'address.city',
  'address.state_or_province',
  'address.postal_code',
  'address.country_code',
  'address.phone',
  'consent.marketing',
  'consent.abandoned_cart',
] as const;

export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

export const CUSTOM_FIELD_PREFIX = 'custom:';

/** A fieldMap value: a canonical field or `custom:<form field name>`. */
export type FieldTarget = CanonicalField | `${typeof CUSTOM_FIELD_PREFIX}${string}`;

const canonicalFieldSet: ReadonlySet<string> = new Set(CANONICAL_FIELDS);

export function isFieldTarget(value: string): value is FieldTarget {
  if (canonicalFieldSet.has(value)) return true;
  if (!value.startsWith(CUSTOM_FIELD_PREFIX)) return false;
  const name = value.slice(CUSTOM_FIELD_PREFIX.length).trim();
  return name.length >= 1 && name.length <= 255;
}
