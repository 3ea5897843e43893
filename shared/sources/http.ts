import * as body from '../http-input/body';
import { MAX_SOURCE_BODY_BYTES } from '../http-input/limits';
import type { RawRequest } from '../http-input/request';
import type { AdapterDecision } from './source-adapter';

/**
 * The sources' use of the one HTTP input layer (shared/http-input/body.ts): the sources' body cap and
 * lenient JSON content type bound in, plus small helpers for reading senders' payloads.
 */

/** Refuses bodies above MAX_SOURCE_BODY_BYTES (413) before any signature is computed over them. */
export function checkBodySize(request: Pick<RawRequest, 'body'>): void {
  body.checkBodySize(request.body, MAX_SOURCE_BODY_BYTES);
}

/** A JSON body; a missing or text/plain content type is tolerated (several senders omit or mislabel it). */
export function parseJsonBody(request: Pick<RawRequest, 'headers' | 'body'>): unknown {
  return body.parseJsonBody(request, 'lenient');
}

/** 405 with `Allow`, for methods a sender never uses (HubSpot does not retry a 405). */
export function methodNotAllowed(allowed: readonly string[]): AdapterDecision {
  return {
    type: 'reply',
    purpose: 'method-not-allowed',
    status: 405,
    headers: { allow: allowed.join(', '), 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'Method not allowed' }),
  };
}

export const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Own property only: JSON and form data must never reach `constructor` or `__proto__` of Object.prototype. */
export function ownValue(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A non-empty trimmed string (numbers are stringified), else undefined. */
export function stringValue(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** An ISO 8601 timestamp from a sender time (ISO string, or epoch milliseconds), else undefined. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
