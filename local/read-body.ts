import type { IncomingMessage } from 'node:http';

export type BodyBytes = { ok: true; bytes: Buffer } | { ok: false; reason: 'too-large' | 'aborted' };

/**
 * Reads a request body for local mode's servers (the API emulation and the BigCommerce sandbox), refusing
 * more than `maxBytes`. Past the limit the rest is still drained, so the 413 reaches a client that is
 * still sending.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyBytes> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { ok: false, reason: 'too-large' } : { ok: true, bytes: Buffer.concat(chunks) }));
    req.on('error', () => resolve({ ok: false, reason: 'aborted' }));
    req.on('aborted', () => resolve({ ok: false, reason: 'aborted' }));
  });
}
