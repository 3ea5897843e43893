import { TRACE_FIELD, TRACE_ID_FIELDS } from '../../shared/trace/trace-events';

/**
 * The log lines `signup-sync trace` works with, wherever they come from (CloudWatch Logs Insights, local
 * mode's log buffer), and the one rule for whether a line belongs to a trace: one of its ids, or one of
 * its email hashes, equals one of the keys exactly. Logs Insights is asked with a substring filter (cheap
 * to write, never an email in it); this exact match then drops anything that only looked alike.
 */

/** Which log a line came from: a function's, or the API's access log (API Gateway's own answers: 429, 413). */
export type TraceLogGroup = 'ingest' | 'sync' | 'api';

export type TraceRecord = Readonly<{
  /** When the line was written (ISO 8601). */
  at: string;
  group: TraceLogGroup;
  line: Readonly<Record<string, unknown>>;
}>;

/** What a trace looks for: ids (request, ingest, SQS message, delivery, event ids) and keyed email hashes. */
export type TraceKeys = Readonly<{ ids: readonly string[]; emailHashes: readonly string[] }>;

/** The characters an id may have to be searched for: what the product's and the senders' ids use (a query is never built from anything else). */
export const TRACE_ID_PATTERN = /^[A-Za-z0-9._:@+=/-]{1,200}$/;

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** The signups a request-level line lists (`signups[]`), as plain objects. */
export function signupsOf(line: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>>[] {
  const signups = line['signups'];
  return Array.isArray(signups) ? signups.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

/** Every id a line carries in a join field (shared/trace/trace-events.ts TRACE_ID_FIELDS), top level or in `signups[]`, except email hashes. */
export function idsOf(line: Readonly<Record<string, unknown>>): Set<string> {
  const ids = new Set<string>();
  for (const holder of [line, ...signupsOf(line)]) {
    for (const field of TRACE_ID_FIELDS) if (field !== 'emailHash') for (const id of strings(holder[field])) ids.add(id);
  }
  return ids;
}

/** Every email hash a line carries (top level or in `signups[]`). */
export function emailHashesOf(line: Readonly<Record<string, unknown>>): Set<string> {
  return new Set([line, ...signupsOf(line)].flatMap((holder) => strings(holder['emailHash'])));
}

/** Whether the line is about one of the keys. */
export function matchesKeys(line: Readonly<Record<string, unknown>>, keys: TraceKeys): boolean {
  const ids = idsOf(line);
  if (keys.ids.some((id) => ids.has(id))) return true;
  const hashes = emailHashesOf(line);
  return keys.emailHashes.some((hash) => hashes.has(hash));
}

/** A function's trace line (it has a `trace` event name) or an API access line (`requestId` and `status`, no level). */
export function isTraceLine(line: Readonly<Record<string, unknown>>): boolean {
  return typeof line[TRACE_FIELD] === 'string' || (typeof line['requestId'] === 'string' && line['status'] !== undefined && line['level'] === undefined);
}

/** A log line as JSON, or undefined (Lambda's START/END/REPORT lines and anything else that is not a JSON object). */
export function parseLogLine(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The line's own time (Powertools' `timestamp`, the access log's `time`), else the one the log store gives. */
export function recordTime(line: Readonly<Record<string, unknown>>, fallback: string | number | undefined): string {
  const own = typeof line['timestamp'] === 'string' ? Date.parse(line['timestamp']) : Number.NaN;
  if (Number.isFinite(own)) return new Date(own).toISOString();
  const access = typeof line['time'] === 'string' ? parseAccessLogTime(line['time']) : undefined;
  if (access !== undefined) return access;
  if (typeof fallback === 'number') return new Date(fallback).toISOString();
  if (typeof fallback === 'string') {
    // Logs Insights answers `2026-11-02 10:00:00.123` (UTC); an emulator may answer epoch milliseconds.
    const millis = /^\d+$/.test(fallback) ? Number(fallback) : Date.parse(`${fallback.replace(' ', 'T')}Z`);
    if (Number.isFinite(millis)) return new Date(millis).toISOString();
  }
  return new Date(0).toISOString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `$context.requestTime`: `02/Nov/2026:10:00:00 +0000`. */
function parseAccessLogTime(value: string): string | undefined {
  const match = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{2})(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [, day, month, year, hour, minute, second, offsetHours, offsetMinutes] = match;
  const monthIndex = MONTHS.indexOf(month!);
  if (monthIndex === -1) return undefined;
  const sign = offsetHours!.startsWith('-') ? -1 : 1;
  const offsetMs = sign * (Math.abs(Number(offsetHours)) * 60 + Number(offsetMinutes)) * 60_000;
  return new Date(Date.UTC(Number(year), monthIndex, Number(day), Number(hour), Number(minute), Number(second)) - offsetMs).toISOString();
}
