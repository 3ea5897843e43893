import { emailSchema } from '../signup/signup-schema';
import { type FieldDefaults, isPhoneObject, toText } from './field-map';
import { isRecord, ownValue } from './http';

/**
 * Recognising a form builder's answers by their shape, whatever language the labels are in
 * (docs/sources.md, "How fields are found"): the form's questions are named by the person who built it
 * ("E-mail", "Correo electrónico", `q6_nomeCompleto6`), but a name widget is a `{ first, last }` object
 * in any language, a phone widget a `{ area, phone }` or `{ full }` object, and an email answer parses
 * as an email address.
 *
 * Each adapter lists its answers (the key its lookup reads, and the value) and appends these keys to
 * its own defaults, so the kind's type- and label-based defaults are tried first and the shapes fill
 * what they missed; the source's `fieldMap` still wins over both (shared/sources/field-map.ts).
 */

export type Answer = Readonly<{ key: string; value: unknown }>;

/** A value the ingest's validation would accept as an email address. */
export function isEmailValue(value: unknown): boolean {
  const text = toText(value);
  return text?.includes('@') === true && emailSchema.safeParse(text).success;
}

/** A name widget: `{ first, last }` (sometimes with prefix, middle and suffix). */
export function isNameObject(value: unknown): boolean {
  return isRecord(value) && (toText(ownValue(value, 'first')) !== undefined || toText(ownValue(value, 'last')) !== undefined);
}

const ADDRESS_LINE_KEYS = ['addr_line1', 'address1', 'line1', 'street', 'street1', 'addr1'];

/** An address widget: an object with a street line and a city (Jotform `{ addr_line1, city, postal, country }`). */
export function isAddressObject(value: unknown): boolean {
  return isRecord(value) && ADDRESS_LINE_KEYS.some((key) => toText(ownValue(value, key)) !== undefined) && toText(ownValue(value, 'city')) !== undefined;
}

export { isPhoneObject };

/** The keys of the answers whose value has the shape, in form order. */
export const keysWhere = (answers: readonly Answer[], test: (value: unknown) => boolean): string[] =>
  answers.filter((answer) => test(answer.value)).map((answer) => answer.key);

/** The shape-based defaults for these answers: email-valued, name, phone and address objects. */
export function shapeDefaults(answers: readonly Answer[]): FieldDefaults {
  return {
    email: keysWhere(answers, isEmailValue),
    full_name: keysWhere(answers, isNameObject),
    phone: keysWhere(answers, isPhoneObject),
    address: keysWhere(answers, isAddressObject),
  };
}

/** Each target's keys from `first`, then those of `then` not already listed (first non-empty value wins). */
export function withFallback(first: FieldDefaults, then: FieldDefaults): FieldDefaults {
  const merged: Record<string, readonly string[] | undefined> = { ...first };
  for (const [target, keys] of Object.entries(then)) {
    const earlier = merged[target] ?? [];
    merged[target] = [...earlier, ...(keys ?? []).filter((key) => !earlier.includes(key))];
  }
  return merged as FieldDefaults;
}
