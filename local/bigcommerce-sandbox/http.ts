import type { IncomingMessage, ServerResponse } from 'node:http';

export const PROBLEM_TYPE = 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes';

/** A computed answer, written by the server once it has decided nothing else (a fault) replaces it. */
export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** BigCommerce's error body: `{ status, title, type, errors }` (reference/bigcommerce.md, 422 shape). */
export function problem(
  status: number,
  title: string,
  errors: Record<string, string> = {},
  headers?: Record<string, string>,
): ApiResponse {
  return { status, body: { status, title, type: PROBLEM_TYPE, errors }, ...(headers ? { headers } : {}) };
}

export function json(status: number, body: unknown): ApiResponse {
  return { status, body };
}

export type BodyResult = { ok: true; text: string } | { ok: false; reason: 'too-large' | 'aborted' };

/** Reads the whole body, refusing more than `maxBytes` (the rest is drained so the answer still reaches the client). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { ok: false, reason: 'too-large' } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve({ ok: false, reason: 'aborted' }));
    req.on('aborted', () => resolve({ ok: false, reason: 'aborted' }));
  });
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
