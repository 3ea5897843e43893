import { CliUsageError } from './errors';

/**
 * Which CSV column feeds which canonical signup field. Detected from the header row (a Mailchimp
 * audience export, or a generic file with email / first_name / last_name columns under common
 * spellings) and adjustable with `--map field=Column`.
 */

export const SIMPLE_TARGETS = ['email', 'first_name', 'last_name', 'company', 'phone', 'notes', 'event_id', 'occurred_at'] as const;
export const ADDRESS_FIELDS = [
  'first_name',
  'last_name',
  'company',
  'address1',
  'address2',
  'city',
  'state_or_province',
  'postal_code',
  'country_code',
  'phone',
  'address_type',
] as const;

/** `email`, `address.city`, `custom:Favourite colour`, … */
export type Target = string;

export type ColumnMapping = Readonly<{
  format: 'mailchimp' | 'generic';
  /** Target -> column index and header. */
  columns: ReadonlyMap<Target, Readonly<{ index: number; header: string }>>;
  /** Headers mapped to nothing (reported, never sent). */
  ignored: readonly string[];
  headerCount: number;
}>;

export type MapOverride = Readonly<{ target: Target; column: string }>;

export function isTarget(target: string): boolean {
  if ((SIMPLE_TARGETS as readonly string[]).includes(target)) return true;
  if (target.startsWith('address.')) return (ADDRESS_FIELDS as readonly string[]).includes(target.slice('address.'.length));
  return /^custom:.{1,255}$/.test(target);
}

/** `--map email=Email Address` (an empty column unmaps the field). */
export function parseMapFlag(value: string): MapOverride {
  const at = value.indexOf('=');
  if (at <= 0) throw new CliUsageError(`--map takes field=Column, e.g. --map "email=Email Address"; got "${value}"`);
  const target = value.slice(0, at).trim();
  if (!isTarget(target)) {
    throw new CliUsageError(`--map: unknown field "${target}"; use one of ${SIMPLE_TARGETS.join(', ')}, address.<${ADDRESS_FIELDS.join('|')}>, custom:<Name>`);
  }
  return { target, column: value.slice(at + 1).trim() };
}

const normalise = (header: string) => header.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Common spellings of each field in generic exports (compared without case, spaces or punctuation). */
const GENERIC_SYNONYMS: Readonly<Record<Target, readonly string[]>> = {
  email: ['email', 'emailaddress', 'mail'],
  first_name: ['firstname', 'first', 'givenname', 'fname'],
  last_name: ['lastname', 'last', 'surname', 'familyname', 'lname'],
  company: ['company', 'companyname', 'organization', 'organisation'],
  phone: ['phone', 'phonenumber', 'telephone', 'mobile'],
  notes: ['notes', 'note'],
  event_id: ['eventid'],
  occurred_at: ['occurredat'],
  'address.address1': ['address1', 'addressline1', 'street'],
  'address.address2': ['address2', 'addressline2'],
  'address.city': ['city', 'town'],
  'address.state_or_province': ['stateorprovince', 'state', 'province'],
  'address.postal_code': ['postalcode', 'postcode', 'zip', 'zipcode'],
  'address.country_code': ['countrycode'],
};

/** Mailchimp's audience export (Audience → Export): merge tags' display names and its system columns. */
const MAILCHIMP_COLUMNS: Readonly<Record<Target, readonly string[]>> = {
  email: ['Email Address'],
  first_name: ['First Name'],
  last_name: ['Last Name'],
  phone: ['Phone Number'],
  company: ['Company'],
  // CONFIRM_TIME is when the person confirmed (double opt-in), OPTIN_TIME when they signed up.
  occurred_at: ['CONFIRM_TIME', 'OPTIN_TIME'],
  // EUID identifies the member; with the source id it makes a stable idempotency key.
  event_id: ['EUID', 'LEID'],
};
const MAILCHIMP_MARKERS = ['MEMBER_RATING', 'OPTIN_TIME', 'CONFIRM_TIME', 'LEID', 'EUID'];

export function detectFormat(headers: readonly string[]): ColumnMapping['format'] {
  const set = new Set(headers.map((header) => header.trim()));
  return set.has('Email Address') && MAILCHIMP_MARKERS.some((marker) => set.has(marker)) ? 'mailchimp' : 'generic';
}

function findColumn(headers: readonly string[], column: string): number {
  const exact = headers.findIndex((header) => header.trim() === column);
  if (exact !== -1) return exact;
  const wanted = column.toLowerCase();
  return headers.findIndex((header) => header.trim().toLowerCase() === wanted);
}

export function buildMapping(headers: readonly string[], overrides: readonly MapOverride[] = []): ColumnMapping {
  const format = detectFormat(headers);
  const columns = new Map<Target, { index: number; header: string }>();
  const used = new Set<number>();
  const take = (target: Target, index: number) => {
    if (index === -1 || used.has(index) || columns.has(target)) return;
    columns.set(target, { index, header: headers[index]!.trim() });
    used.add(index);
  };

  // Explicit mappings first; they also take a column away from auto-detection.
  const overridden = new Set<Target>();
  for (const { target, column } of overrides) {
    overridden.add(target);
    if (column === '') continue;
    const index = findColumn(headers, column);
    if (index === -1)
      throw new CliUsageError(`--map ${target}=${column}: the file has no column "${column}" (columns: ${headers.map((h) => `"${h.trim()}"`).join(', ')})`);
    if (used.has(index)) throw new CliUsageError(`--map: column "${column}" is mapped twice`);
    take(target, index);
  }
  if (format === 'mailchimp') {
    for (const [target, names] of Object.entries(MAILCHIMP_COLUMNS)) {
      if (overridden.has(target)) continue;
      for (const name of names) take(target, findColumn(headers, name));
    }
  }
  const normalised = headers.map(normalise);
  for (const [target, synonyms] of Object.entries(GENERIC_SYNONYMS)) {
    if (overridden.has(target) || columns.has(target)) continue;
    for (const synonym of synonyms) take(target, normalised.indexOf(synonym));
  }

  if (!columns.has('email')) {
    throw new CliUsageError(`No email column found (columns: ${headers.map((h) => `"${h.trim()}"`).join(', ')}). Name it with --map "email=<Column>".`);
  }
  const ignored = headers
    .filter((_, index) => !used.has(index))
    .map((header) => header.trim())
    .filter((header) => header !== '');
  return { format, columns, ignored, headerCount: headers.length };
}

/** Mailchimp writes "2024-03-01 17:02:11" (UTC, no zone); the schema wants ISO 8601 with an offset. */
export function toIsoTime(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(value);
  if (!match) return value;
  const time = match[2]!.length === 5 ? `${match[2]}:00` : match[2];
  return `${match[1]}T${time}Z`;
}

/** One row -> the input of signupSchema. Empty (or blank) cells are left out, never sent as "". */
export function rowToSignupInput(fields: readonly string[], mapping: ColumnMapping): Record<string, unknown> {
  const signup: Record<string, unknown> = {};
  const address: Record<string, string> = {};
  const custom: { name: string; value: string }[] = [];
  for (const [target, { index }] of mapping.columns) {
    const cell = fields[index];
    if (cell === undefined || cell.trim() === '') continue;
    if (target.startsWith('address.')) address[target.slice('address.'.length)] = cell;
    else if (target.startsWith('custom:')) custom.push({ name: target.slice('custom:'.length), value: cell });
    else if (target === 'occurred_at') signup[target] = toIsoTime(cell.trim());
    else signup[target] = cell;
  }
  if (Object.keys(address).length > 0) signup['address'] = address;
  if (custom.length > 0) signup['custom_fields'] = custom;
  return signup;
}

/** "/address/city" -> the column it came from, for error messages. */
export function columnForPath(path: string, mapping: ColumnMapping): string | undefined {
  const parts = path.split('/').filter(Boolean);
  const target = parts[0] === 'address' && parts[1] ? `address.${parts[1]}` : parts[0];
  return target ? mapping.columns.get(target)?.header : undefined;
}
