import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody as readBodyBytes } from '../read-body';

export const PROBLEM_TYPE = 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes';

/** A computed answer, written by the server once it has decided nothing else (a fault) replaces it. */
export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** BigCommerce's error body: `{ status, title, type, errors }`, as its documented 422 answers have it. */
export function problem(status: number, title: string, errors: Record<string, string> = {}, headers?: Record<string, string>): ApiResponse {
  return { status, body: { status, title, type: PROBLEM_TYPE, errors }, ...(headers ? { headers } : {}) };
}

export function json(status: number, body: unknown): ApiResponse {
  return { status, body };
}

export type BodyResult = { ok: true; text: string } | { ok: false; reason: 'too-large' | 'aborted' };

/** Reads the whole body as UTF-8 text, refusing more than `maxBytes` (local/read-body.ts). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const read = await readBodyBytes(req, maxBytes);
  return read.ok ? { ok: true, text: read.bytes.toString('utf8') } : read;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false };

export function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function writeResponse(res: ServerResponse, response: ApiResponse, extraHeaders: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...extraHeaders,
    ...response.headers,
    ...(response.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': Buffer.byteLength(payload).toString(),
  });
  res.end(payload);
}
