import { sha256Hex } from './auth';
import { CUSTOM_FIELD_PREFIX, type FieldTarget } from './canonical-fields';
import { isRecord, ownValue } from './http';
import type { SignupCandidate } from './source-adapter';
import type { LastNamePolicy, SourceConfig } from './source-config';

/**
 * Sender fields -> a canonical signup candidate.
 *
 * An adapter supplies a `lookup(key)` over the sender's payload (a Typeform ref, a Webflow label, a
 * Mailchimp merge tag, a JSON path ...) and its defaults (target -> candidate keys, first non-empty
 * wins). The source's `fieldMap` (sender key -> target) comes first; defaults fill only the targets
 * the map does not mention, so remapping a target never mixes in the default key.
 *
 * Normalisation: strings are trimmed and inner whitespace collapsed,
 * numbers become strings (Webflow sends phones as numbers), empty values count as absent, company and
 * custom fields are truncated to BigCommerce's limits, names and emails are never truncated (the
 * ingest's validation rejects them instead), and an address is kept only when it has everything
 * BigCommerce requires (address1, city, a two-letter country code).
 */

export type FieldLookup = (key: string) => unknown;
export type FieldDefaults = Readonly<Partial<Record<FieldTarget, readonly string[]>>>;

type AddressField = 'first_name' | 'last_name' | 'company' | 'address1' | 'address2' | 'city' | 'state_or_province' | 'postal_code' | 'country_code' | 'phone';
type TextField = 'email' | 'first_name' | 'last_name' | 'full_name' | 'company' | 'phone' | 'notes';
type CustomValue = string | number | string[];
type ConsentField = 'marketing' | 'abandoned_cart';

export interface SignupDraft {
  text: Partial<Record<TextField, string>>;
  address: Partial<Record<AddressField, string>>;
  custom: { name: string; value: CustomValue }[];
  consent: Partial<Record<ConsentField, boolean>>;
}

const MAX_CUSTOM_FIELDS = 20;
const MAX_CUSTOM_LENGTH = 255;
const MAX_COMPANY_LENGTH = 255;
const MAX_NOTES_LENGTH = 10_000;
const MAX_EVENT_ID_LENGTH = 200;

/** Sub-keys of composite address objects (Mailchimp ADDRESS per 2nd source, Jotform address widget). */
const ADDRESS_KEYS: Readonly<Record<string, AddressField>> = {
  addr1: 'address1',
  address1: 'address1',
  addr_line1: 'address1',
  line1: 'address1',
  street: 'address1',
  street1: 'address1',
  addr2: 'address2',
  address2: 'address2',
  addr_line2: 'address2',
  line2: 'address2',
  street2: 'address2',
  city: 'city',
  state: 'state_or_province',
  province: 'state_or_province',
  region: 'state_or_province',
  state_or_province: 'state_or_province',
  zip: 'postal_code',
  zip_code: 'postal_code',
  postal: 'postal_code',
  postcode: 'postal_code',
  postal_code: 'postal_code',
  country: 'country_code',
  country_code: 'country_code',
  company: 'company',
  phone: 'phone',
  first_name: 'first_name',
  last_name: 'last_name',
};

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * A scalar as display text: trimmed strings, finite numbers, booleans, lists of scalars joined with ', '.
 * Lists inside lists are left out, so a hostile, deeply nested body cannot exhaust the stack.
 */
export function toText(value: unknown, keepLines = false): string | undefined {
  if (typeof value === 'string') {
    const text = keepLines ? value.trim() : collapse(value);
    return text === '' ? undefined : text;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map((item) => (Array.isArray(item) ? undefined : toText(item))).filter((item): item is string => item !== undefined);
    return items.length > 0 ? items.join(', ') : undefined;
  }
  return undefined;
}

function toCustomValue(value: unknown): CustomValue | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items = value
      .map((item) => toText(item))
      .filter((item): item is string => item !== undefined)
      .slice(0, 50)
      .map((item) => item.slice(0, MAX_CUSTOM_LENGTH));
    return items.length > 0 ? items : undefined;
  }
  return toText(value)?.slice(0, MAX_CUSTOM_LENGTH);
}

const emptyDraft = (): SignupDraft => ({ text: {}, address: {}, custom: [], consent: {} });

const YES = new Set(['true', 'yes', 'y', 'on', '1', 'checked', 'accepted']);
const NO = new Set(['false', 'no', 'n', 'off', '0', 'unchecked', 'declined']);

/** A checkbox or yes/no answer as a boolean; undefined when it says neither (the consent stays unknown). */
export function toConsent(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return YES.has(word) ? true : NO.has(word) ? false : undefined;
}

/** Puts `value` at `target` unless that target already has a value. Returns whether it took the value. */
export function assignField(draft: SignupDraft, target: FieldTarget, value: unknown): boolean {
  if (target.startsWith(CUSTOM_FIELD_PREFIX)) {
    const name = target.slice(CUSTOM_FIELD_PREFIX.length).trim();
    const customValue = toCustomValue(value);
    if (customValue === undefined || draft.custom.some((field) => field.name === name)) return false;
    draft.custom.push({ name, value: customValue });
    return true;
  }
  if (target === 'address') return isRecord(value) ? assignAddressObject(draft, value) : false;
  if (target === 'consent.marketing' || target === 'consent.abandoned_cart') {
    const field = target.slice('consent.'.length) as ConsentField;
    const consent = toConsent(value);
    if (consent === undefined || draft.consent[field] !== undefined) return false;
    draft.consent[field] = consent;
    return true;
  }
  if (target === 'phone' && isRecord(value)) return assignText(draft, 'phone', phoneText(value));
  if (target === 'full_name' && isRecord(value)) {
    // Jotform's name widget: { first, last } (sometimes also prefix/middle/suffix).
    const first = assignText(draft, 'first_name', ownValue(value, 'first'));
    const last = assignText(draft, 'last_name', ownValue(value, 'last'));
    return first || last;
  }
  if (target.startsWith('address.')) {
    const field = target.slice('address.'.length) as AddressField;
    const text = toText(value);
    if (text === undefined || draft.address[field] !== undefined) return false;
    draft.address[field] = text;
    return true;
  }
  return assignText(draft, target as TextField, value);
}

/**
 * A phone widget's value: `{ full }` (Jotform with an input mask), or `{ area, phone }` (Jotform without
 * one; a `country` code first when sent). Anything else is not a phone object.
 */
export function isPhoneObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return isRecord(value) && (toText(ownValue(value, 'full')) !== undefined || toText(ownValue(value, 'phone')) !== undefined);
}

/** A phone object as one line: `full` as sent, else `country area phone` joined with spaces. */
export function phoneText(value: Readonly<Record<string, unknown>>): string | undefined {
  const full = toText(ownValue(value, 'full'));
  if (full !== undefined) return full;
  const parts = ['country', 'area', 'phone'].map((key) => toText(ownValue(value, key))).filter((part): part is string => part !== undefined);
  return parts.length > 0 && toText(ownValue(value, 'phone')) !== undefined ? parts.join(' ') : undefined;
}

function assignText(draft: SignupDraft, field: TextField, value: unknown): boolean {
  const text = toText(value, field === 'notes');
  if (text === undefined || draft.text[field] !== undefined) return false;
  draft.text[field] = text;
  return true;
}

function assignAddressObject(draft: SignupDraft, value: Readonly<Record<string, unknown>>): boolean {
  let assigned = false;
  for (const key of Object.keys(value)) {
    const lower = key.toLowerCase();
    if (!Object.hasOwn(ADDRESS_KEYS, lower)) continue;
    const field = ADDRESS_KEYS[lower] as AddressField;
    const text = toText(value[key]);
    if (text !== undefined && draft.address[field] === undefined) {
      draft.address[field] = text;
      assigned = true;
    }
  }
  return assigned;
}

/** Applies the source's fieldMap, then the adapter's defaults for the targets the map leaves out. */
export function mapFields(lookup: FieldLookup, fieldMap: Readonly<Record<string, FieldTarget>> | undefined, defaults: FieldDefaults): SignupDraft {
  const draft = emptyDraft();
  const mappedTargets = new Set<string>();
  for (const [key, target] of Object.entries(fieldMap ?? {})) {
    mappedTargets.add(target);
    assignField(draft, target, lookup(key));
  }
  for (const [target, keys] of Object.entries(defaults) as [FieldTarget, readonly string[]][]) {
    if (mappedTargets.has(target)) continue;
    for (const key of keys) {
      if (assignField(draft, target, lookup(key))) break;
    }
  }
  return draft;
}

export type Names = Readonly<{ first_name?: string | undefined; last_name?: string | undefined; full_name?: string | undefined }>;

/**
 * The per-source answer to BigCommerce's required last name (docs/sources.md, lastNamePolicy):
 * - 'reject': leave it missing, so validation rejects the signup with a reason;
 * - 'split-full-name': split the full name (or a multi-word first name) on the first space:
 *   "Ada Lovelace King" -> first "Ada", last "Lovelace King"; one word stays a missing last name;
 * - { placeholder }: use the configured placeholder when it is missing.
 * Without a first name, the full name serves as one.
 */
export function applyLastNamePolicy(names: Names, policy: LastNamePolicy): { first_name?: string; last_name?: string } {
  let first = toText(names.first_name);
  let last = toText(names.last_name);
  const full = toText(names.full_name);
  if (last === undefined && policy === 'split-full-name') {
    const whole = full ?? first;
    if (whole !== undefined) {
      const space = whole.indexOf(' ');
      if (space > 0) {
        if (first === undefined || full === undefined) first = whole.slice(0, space);
        last = whole.slice(space + 1);
      }
    }
  }
  first ??= full;
  if (last === undefined && typeof policy === 'object') last = policy.placeholder;
  return { ...(first !== undefined ? { first_name: first } : {}), ...(last !== undefined ? { last_name: last } : {}) };
}

/** Event ids over the canonical 200-character limit are hashed, so redeliveries still match. */
export function toEventId(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (text === '') return undefined;
  return text.length <= MAX_EVENT_ID_LENGTH ? text : `sha256:${sha256Hex(text)}`;
}

/** A stable id from parts, for senders without event ids (Mailchimp, ActiveCampaign). */
export function hashEventId(...parts: readonly string[]): string {
  return `sha256:${sha256Hex(parts.map((part) => part.replace(/\\/g, '\\\\').replace(/\|/g, '\\|')).join('|'))}`;
}

/** The draft as a canonical candidate (see the module comment), with the sender's event id if any. */
export function toCandidate(draft: SignupDraft, policy: LastNamePolicy, eventId?: unknown): SignupCandidate {
  const { text, address, custom, consent } = draft;
  const names = applyLastNamePolicy(text, policy);
  const candidate: Record<string, unknown> = {};
  if (text.email !== undefined) candidate['email'] = text.email;
  Object.assign(candidate, names);
  if (text.company !== undefined) candidate['company'] = text.company.slice(0, MAX_COMPANY_LENGTH);
  if (text.phone !== undefined) candidate['phone'] = text.phone;
  if (text.notes !== undefined) candidate['notes'] = text.notes.slice(0, MAX_NOTES_LENGTH);
  const countryCode = address.country_code?.toUpperCase();
  if (address.address1 !== undefined && address.city !== undefined && countryCode !== undefined && /^[A-Z]{2}$/.test(countryCode)) {
    candidate['address'] = { ...address, country_code: countryCode };
  }
  if (custom.length > 0) candidate['custom_fields'] = custom.slice(0, MAX_CUSTOM_FIELDS);
  if (Object.keys(consent).length > 0) candidate['consent'] = { ...consent };
  const id = toEventId(eventId);
  if (id !== undefined) candidate['event_id'] = id;
  return candidate;
}

/** The common path: map, apply the source's last-name policy, attach the event id. */
export function buildCandidate(
  source: Pick<SourceConfig, 'fieldMap' | 'lastNamePolicy'>,
  lookup: FieldLookup,
  defaults: FieldDefaults,
  eventId?: unknown,
): SignupCandidate {
  return toCandidate(mapFields(lookup, source.fieldMap, defaults), source.lastNamePolicy, eventId);
}

/** A lookup over a JSON object by dot path (`properties.email`), unwrapping HubSpot-style `{ value }`. */
export function jsonPathLookup(root: unknown): FieldLookup {
  return (key) => {
    let node: unknown = root;
    for (const segment of key.split('.')) {
      node = unwrapValue(node);
      if (!isRecord(node)) return undefined;
      node = ownValue(node, segment);
    }
    return unwrapValue(node);
  };
}

/** `{ value: x, versions: [...] }` (HubSpot contact API v1) -> x. */
function unwrapValue(node: unknown): unknown {
  if (isRecord(node) && Object.hasOwn(node, 'value') && !isRecord(node['value'])) return node['value'];
  return node;
}

/**
 * The last-name policy on a body that is already canonical (Standard Webhooks): only the name fields
 * change, and only when `last_name` is missing; everything else is passed through for validation.
 */
export function withLastNamePolicy(candidate: SignupCandidate, policy: LastNamePolicy): SignupCandidate {
  const first = candidate['first_name'];
  const last = candidate['last_name'];
  const lastMissing = last === undefined || last === null || (typeof last === 'string' && last.trim() === '');
  if (policy === 'reject' || !lastMissing || !(first === undefined || first === null || typeof first === 'string')) {
    return candidate;
  }
  const { last_name: _missing, ...rest } = candidate;
  return { ...rest, ...applyLastNamePolicy({ first_name: typeof first === 'string' ? first : undefined }, policy) };
}

/**
 * The sender's event is itself a newsletter subscription (Mailchimp `subscribe`, Kit activation,
 * ActiveCampaign `subscribe`, Shopify consent `subscribed`): marketing consent, unless the source's
 * fieldMap already read an explicit answer.
 */
export function withMarketingConsent(candidate: SignupCandidate): SignupCandidate {
  const consent = isRecord(candidate['consent']) ? candidate['consent'] : {};
  if (consent['marketing'] !== undefined) return candidate;
  return { ...candidate, consent: { ...consent, marketing: true } };
}

/**
 * An unsubscribe at the sender as a canonical opt-out: only the email (as the source's mapping reads
 * it) and the event id travel; names and the rest are left out (an opt-out carries nothing else).
 */
export function toOptOut(candidate: SignupCandidate): SignupCandidate {
  return {
    ...(candidate['email'] !== undefined ? { email: candidate['email'] } : {}),
    opt_out: true,
    ...(candidate['event_id'] !== undefined ? { event_id: candidate['event_id'] } : {}),
  };
}
