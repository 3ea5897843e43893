import * as path from 'node:path';
import { type FieldTarget, isFieldTarget } from '../shared/sources/canonical-fields';
import { buildCandidate, toConsent } from '../shared/sources/field-map';
import type { SignupCandidate } from '../shared/sources/source-adapter';
import { CliUsageError } from './errors';

/**
 * Which CSV column feeds which canonical signup field, and one row as the signup candidate the ingest
 * then checks. Columns are detected from the header row (a Mailchimp audience export, or a generic file
 * with email / first_name / last_name columns under common spellings) and adjustable with
 * `--map field=Column`. A row is mapped by the ingest's own field mapping (shared/sources/field-map.ts,
 * what a source's `fieldMap` does: trimming, consent answers, custom fields, the address rule), so a
 * column means in a file exactly what the same field means in a delivery.
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
] as const;
/** Yes/no columns: marketing consent, abandoned-cart consent, and an opt-out (the person unsubscribed). */
export const FLAG_TARGETS = ['consent.marketing', 'consent.abandoned_cart', 'opt_out'] as const;
/** `email`, `address.city`, `custom:Favourite colour`, … */
export type Target = string;

export type CsvFormat = 'mailchimp' | 'generic';

/**
 * A Mailchimp contact status (Mailchimp's audience export writes one file per status; other exports
 * carry it in a column): `subscribed` -> marketing consent, `unsubscribed` and `cleaned` -> an opt-out,
 * the others -> no newsletter part (consent unknown: a customer when the row has names).
 */
export const MAILCHIMP_STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'nonsubscribed', 'transactional', 'archived'] as const;
export type MailchimpStatus = (typeof MAILCHIMP_STATUSES)[number];

/** Where the rows' status comes from: one for the whole file, a column, or nowhere (no newsletter part from it). */
export type StatusSource =
  | Readonly<{ kind: 'file'; status: MailchimpStatus; from: 'flag' | 'columns' | 'file name' }>
  | Readonly<{ kind: 'column'; index: number; header: string }>
  | Readonly<{ kind: 'none' }>;

export type ColumnMapping = Readonly<{
  format: CsvFormat;
  /** Target -> column index and header. */
  columns: ReadonlyMap<Target, Readonly<{ index: number; header: string }>>;
  /** Headers mapped to nothing (reported, never sent). */
  ignored: readonly string[];
  headerCount: number;
  status: StatusSource;
  /** Mailchimp's UNSUB_TIME / CLEAN_TIME: an opt-out's own time (it happened after the signup). */
  optOutTime?: Readonly<{ index: number; header: string }>;
}>;

export type MapOverride = Readonly<{ target: Target; column: string }>;

export type MappingOptions = Readonly<{
  overrides?: readonly MapOverride[];
  /** `auto` (default) detects a Mailchimp audience export from its columns. */
  preset?: 'auto' | CsvFormat;
  /** Every row's status (`--status`). */
  status?: MailchimpStatus;
  /** The column holding each row's status (`--status-column`). */
  statusColumn?: string;
  /** The file's name: Mailchimp names each file of its export after the status (`unsubscribed_…csv`). */
  fileName?: string;
}>;

export function isTarget(target: string): boolean {
  if ((SIMPLE_TARGETS as readonly string[]).includes(target) || (FLAG_TARGETS as readonly string[]).includes(target)) return true;
  if (target.startsWith('address.')) return (ADDRESS_FIELDS as readonly string[]).includes(target.slice('address.'.length));
  return /^custom:.{1,255}$/.test(target);
}

export const TARGET_LIST = `${SIMPLE_TARGETS.join(', ')}, ${FLAG_TARGETS.join(', ')}, address.<${ADDRESS_FIELDS.join('|')}>, custom:<Name>`;

/** `--map email=Email Address` (an empty column unmaps the field). */
export function parseMapFlag(value: string): MapOverride {
  const at = value.indexOf('=');
  if (at <= 0) throw new CliUsageError(`--map takes field=Column, e.g. --map "email=Email Address"; got "${value}"`);
  const target = value.slice(0, at).trim();
  if (!isTarget(target)) {
    throw new CliUsageError(`--map: unknown field "${target}"; use one of ${TARGET_LIST}`);
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
  // Only unmistakable names: a consent is never guessed from a column called "newsletter" (use --map).
  'consent.marketing': ['consentmarketing', 'marketingconsent', 'acceptsemailmarketing', 'acceptsmarketing'],
  'consent.abandoned_cart': ['consentabandonedcart'],
  opt_out: ['optout'],
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
/** The columns only the unsubscribed and the cleaned file of an audience export have. */
const MAILCHIMP_STATUS_COLUMNS: readonly (readonly [string, MailchimpStatus])[] = [
  ['UNSUB_TIME', 'unsubscribed'],
  ['CLEAN_TIME', 'cleaned'],
];

export function detectFormat(headers: readonly string[]): CsvFormat {
  const set = new Set(headers.map((header) => header.trim()));
  return set.has('Email Address') && MAILCHIMP_MARKERS.some((marker) => set.has(marker)) ? 'mailchimp' : 'generic';
}

/** `Unsubscribed`, `non-subscribed` -> a status; undefined for anything else. */
export function parseMailchimpStatus(value: string): MailchimpStatus | undefined {
  const word = value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');
  return (MAILCHIMP_STATUSES as readonly string[]).includes(word) ? (word as MailchimpStatus) : undefined;
}

/** Mailchimp names each file of an audience export after its status: `unsubscribed_members_export_….csv`. */
function statusOfFileName(fileName: string): MailchimpStatus | undefined {
  const match = /^(subscribed|unsubscribed|cleaned|non[-_]?subscribed|pending|transactional|archived)[_\- ]/i.exec(path.basename(fileName));
  return match ? parseMailchimpStatus(match[1]!) : undefined;
}

function findColumn(headers: readonly string[], column: string): number {
  const exact = headers.findIndex((header) => header.trim() === column);
  if (exact !== -1) return exact;
  const wanted = column.toLowerCase();
  return headers.findIndex((header) => header.trim().toLowerCase() === wanted);
}

function noColumn(flag: string, column: string, headers: readonly string[]): CliUsageError {
  return new CliUsageError(`${flag}: the file has no column "${column}" (columns: ${headers.map((h) => `"${h.trim()}"`).join(', ')})`);
}

export function buildMapping(headers: readonly string[], options: MappingOptions = {}): ColumnMapping {
  const { overrides = [], preset = 'auto' } = options;
  const format = preset === 'auto' ? detectFormat(headers) : preset;
  const columns = new Map<Target, { index: number; header: string }>();
  const used = new Set<number>();
  const take = (target: Target, index: number) => {
    if (index === -1 || used.has(index) || columns.has(target)) return;
    columns.set(target, { index, header: headers[index]!.trim() });
    used.add(index);
  };

  // The status column and explicit mappings first; they take a column away from auto-detection.
  let status: StatusSource = { kind: 'none' };
  if (options.status !== undefined) status = { kind: 'file', status: options.status, from: 'flag' };
  else if (options.statusColumn !== undefined) {
    const index = findColumn(headers, options.statusColumn);
    if (index === -1) throw noColumn('--status-column', options.statusColumn, headers);
    status = { kind: 'column', index, header: headers[index]!.trim() };
    used.add(index);
  }
  const overridden = new Set<Target>();
  for (const { target, column } of overrides) {
    overridden.add(target);
    if (column === '') continue;
    const index = findColumn(headers, column);
    if (index === -1) throw noColumn(`--map ${target}=${column}`, column, headers);
    if (used.has(index)) throw new CliUsageError(`--map: column "${column}" is mapped twice`);
    take(target, index);
  }
  let optOutTime: ColumnMapping['optOutTime'];
  if (format === 'mailchimp') {
    for (const [target, names] of Object.entries(MAILCHIMP_COLUMNS)) {
      if (overridden.has(target)) continue;
      for (const name of names) take(target, findColumn(headers, name));
    }
    for (const [column, fileStatus] of MAILCHIMP_STATUS_COLUMNS) {
      const index = findColumn(headers, column);
      if (index === -1) continue;
      optOutTime ??= { index, header: headers[index]!.trim() };
      used.add(index);
      if (status.kind === 'none') status = { kind: 'file', status: fileStatus, from: 'columns' };
    }
    const fromName = options.fileName === undefined ? undefined : statusOfFileName(options.fileName);
    if (status.kind === 'none' && fromName !== undefined) status = { kind: 'file', status: fromName, from: 'file name' };
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
  return { format, columns, ignored, headerCount: headers.length, status, ...(optOutTime ? { optOutTime } : {}) };
}

/** Mailchimp writes "2024-03-01 17:02:11" (UTC, no zone); the schema wants ISO 8601 with an offset. */
export function toIsoTime(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(value);
  if (!match) return value;
  const time = match[2]!.length === 5 ? `${match[2]}:00` : match[2];
  return `${match[1]}T${time}Z`;
}

/** A yes/no cell as the ingest reads a consent answer, plus Mailchimp's own status words. */
export function toFlag(cell: string): boolean | undefined {
  const status = parseMailchimpStatus(cell);
  if (status === 'subscribed') return true;
  if (status === 'unsubscribed') return false;
  return toConsent(cell);
}

export type RowProblem = Readonly<{ path: string; message: string }>;

export type MappedRow = Readonly<{
  candidate: SignupCandidate;
  /** Problems found before validation (a status the import does not know). */
  problems: readonly RowProblem[];
  /** The row had address cells that the address rule left out (not address1, city and a country code). */
  addressLeftOut: boolean;
}>;

const cellOf = (fields: readonly string[], index: number | undefined): string | undefined => {
  const cell = index === undefined ? undefined : fields[index];
  return cell === undefined || cell.trim() === '' ? undefined : cell;
};

/**
 * One row -> the signup candidate the ingest checks: the mapped columns through the ingest's field mapping
 * (empty cells count as absent), the event id (the row's own, else `defaultEventId`), the signup time, then
 * the row's status or opt-out flag. An opt-out keeps only email, event_id and occurred_at (Mailchimp's
 * UNSUB_TIME or CLEAN_TIME when the file has it), as every opt-out.
 */
export function rowToCandidate(fields: readonly string[], mapping: ColumnMapping, defaultEventId?: string): MappedRow {
  const problems: RowProblem[] = [];
  // Each column is looked up by its target, as a source's fieldMap looks up a sender field.
  const fieldMap: Record<string, FieldTarget> = {};
  for (const target of mapping.columns.keys()) if (isFieldTarget(target)) fieldMap[target] = target;
  const lookup = (target: string): unknown => {
    const cell = cellOf(fields, mapping.columns.get(target)?.index);
    if (cell === undefined || !target.startsWith('consent.')) return cell;
    return toFlag(cell);
  };
  const eventId = cellOf(fields, mapping.columns.get('event_id')?.index) ?? defaultEventId;
  let candidate: Record<string, unknown> = { ...buildCandidate({ fieldMap, lastNamePolicy: 'reject' }, lookup, {}, eventId) };
  const occurredAt = cellOf(fields, mapping.columns.get('occurred_at')?.index);
  if (occurredAt !== undefined) candidate['occurred_at'] = toIsoTime(occurredAt.trim());

  let status: MailchimpStatus | undefined;
  if (mapping.status.kind === 'file') status = mapping.status.status;
  else if (mapping.status.kind === 'column') {
    const cell = cellOf(fields, mapping.status.index);
    status = cell === undefined ? undefined : parseMailchimpStatus(cell);
    if (cell !== undefined && status === undefined) problems.push({ path: '/status', message: `not a Mailchimp status (${MAILCHIMP_STATUSES.join(', ')})` });
  }
  const optOutCell = cellOf(fields, mapping.columns.get('opt_out')?.index);
  const optOut = status === 'unsubscribed' || status === 'cleaned' || (optOutCell !== undefined && toFlag(optOutCell) === true);
  if (optOut) {
    const time = cellOf(fields, mapping.optOutTime?.index);
    candidate = {
      ...(candidate['email'] !== undefined ? { email: candidate['email'] } : {}),
      opt_out: true,
      ...(candidate['event_id'] !== undefined ? { event_id: candidate['event_id'] } : {}),
      ...(time !== undefined
        ? { occurred_at: toIsoTime(time.trim()) }
        : candidate['occurred_at'] !== undefined
          ? { occurred_at: candidate['occurred_at'] }
          : {}),
    };
  } else if (status === 'subscribed') {
    // As a sender's subscribe event: consent, unless the row answers the question itself.
    const consent = (candidate['consent'] ?? {}) as Record<string, unknown>;
    if (consent['marketing'] === undefined) candidate['consent'] = { ...consent, marketing: true };
  }
  const addressCells = [...mapping.columns].some(([target, { index }]) => target.startsWith('address.') && cellOf(fields, index) !== undefined);
  return { candidate, problems, addressLeftOut: !optOut && addressCells && candidate['address'] === undefined };
}

/** "/address/city" -> the column it came from, for error messages. */
export function columnForPath(pointer: string, mapping: ColumnMapping): string | undefined {
  if (pointer === '/status') return mapping.status.kind === 'column' ? mapping.status.header : undefined;
  const parts = pointer.split('/').filter(Boolean);
  const target = (parts[0] === 'address' || parts[0] === 'consent') && parts[1] ? `${parts[0]}.${parts[1]}` : parts[0];
  return target ? mapping.columns.get(target)?.header : undefined;
}
